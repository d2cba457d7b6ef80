"""Content-addressed cache of generated modules: hash → ``<cache dir>/symnet_gen_<hash>.py``.

The module is written once, atomically (temp file + ``os.replace``), and imported from
there, so Numba's own ``cache=True`` keeps its compiled code next to it. A file whose text
is not the expected source (half-written, corrupted) is written again. Loading a module
marks it used; writing one keeps the folder under its size limit (``diskcache.prune``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import warnings

import llvmlite
import numba
import numpy as np
from numba.core.caching import IndexDataCacheFile
from numba.core.errors import NumbaPerformanceWarning

from symnet.diskcache import cache_dir, note_use, prune_once, write_atomically


# Numba's advice on generated code (np.dot on views, a parallel driver with nothing to run in
# parallel this time) is for its authors, which is us: keep it out of users' logs. Numba
# issues some from its own modules, so the location in the message is matched too.
warnings.filterwarnings("ignore", category=NumbaPerformanceWarning, module=r".*symnet_gen_")
warnings.filterwarnings("ignore", message=r"(?s).*symnet_gen_", category=NumbaPerformanceWarning)


def _library_digest() -> str:
    """Generated modules call symnet.codegen.vecmath, cpulib and calls, whose code Numba's
    cache of the caller does not track: their sources are part of every key."""
    global _LIBRARY
    if _LIBRARY is None:
        digest = hashlib.sha256()
        for name in ("vecmath.py", "cpulib.py", "calls.py"):
            with open(os.path.join(os.path.dirname(__file__), name), "rb") as f:
                digest.update(f.read())
        _LIBRARY = digest.hexdigest()[:16]
    return _LIBRARY


_LIBRARY = None


def key(source: str, target: str) -> str:
    from symnet import __version__

    versions = f"{__version__}|{numba.__version__}|{llvmlite.__version__}|{np.__version__}|{sys.version}|{_library_digest()}"
    return hashlib.sha256(f"{target}\n{versions}\n{source}".encode()).hexdigest()[:24]


def module_name(source: str, target: str) -> str:
    return f"symnet_gen_{key(source, target)}"


def load(source: str, target: str) -> tuple:
    """(module, cache_hit): the module for ``source``, written to the cache if needed."""
    name = module_name(source, target)
    path = os.path.join(cache_dir(), name + ".py")
    hit = _reads_back(path, source)
    if hit:
        note_use(path)
    else:
        write_atomically(path, source)
        prune_once()
    return _import(name, path, source), hit


def load_named(name: str, target: str) -> tuple | None:
    """(module, source) for a module written earlier under ``name``; None if it is gone or
    its text is not the one the name was made from."""
    path = os.path.join(cache_dir(), name + ".py")
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    if module_name(source, target) != name:
        return None
    note_use(path)
    return _import(name, path, source), source


def kernel_module(name: str):
    """The kernel module ``name`` that a driver calls (generated drivers import theirs this
    way: the cache folder need not be on ``sys.path``). ImportError if it is gone."""
    module = sys.modules.get(name)
    if module is None:
        loaded = load_named(name, "cpu")
        if loaded is None:
            raise ImportError(f"symnet: the kernel module {name} is missing from {cache_dir()}")
        module = loaded[0]
    return module


def _import(name: str, path: str, source: str):
    """The module ``name`` from ``path``, whose text was just read (or written) as
    ``source``; if another process's ``prune`` removed the file meanwhile, it is written
    again (Numba's cache needs the file)."""
    module = sys.modules.get(name)
    if module is None:
        try:
            module = _execute(name, path)
        except Exception:
            if os.path.exists(path):
                raise
            write_atomically(path, source)
            module = _execute(name, path)
        module.SYMNET_SOURCE = source
        sys.modules[name] = module
    return module


def _execute(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # source symnet generated and just verified
    return module


def _survive_damaged_numba_caches() -> None:
    """Numba reads a cache file that cannot be read back (a full disk, a crash mid-write) as
    missing: the function compiles again and its entry is written anew. Numba's own
    ``IndexDataCacheFile`` raised ``UnpicklingError`` from inside the first call. This holds
    for every cached Numba function in the process: symnet's kernels, its library routines
    and their overloads' implementations (which symnet cannot reach one by one), and the
    user's own."""
    load_index, load_data = IndexDataCacheFile._load_index, IndexDataCacheFile._load_data
    if getattr(load_index, "symnet", False):
        return

    def _load_index(self):
        try:
            return load_index(self)
        except Exception:
            return {}

    def _load_data(self, name):
        try:
            return load_data(self, name)
        except OSError:
            raise
        except Exception as e:  # ``load`` takes an OSError for an entry that is gone
            raise OSError(f"unreadable Numba cache entry {name}") from e

    _load_index.symnet = True
    IndexDataCacheFile._load_index, IndexDataCacheFile._load_data = _load_index, _load_data


_survive_damaged_numba_caches()


def _reads_back(path: str, source: str) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() == source
    except (OSError, UnicodeDecodeError):
        return False
