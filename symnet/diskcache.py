"""What symnet keeps on disk between processes: the cache folder, atomic writes, and small
JSON tables stamped with the digest of the code that wrote them (a changed symnet, or a
changed version of what it generates code for, reads none of the old entries)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import tempfile

# what generated code and remembered derivatives depend on besides symnet's own sources
_DEPENDENCIES = ("numpy", "sympy", "numba", "llvmlite")


def cache_dir() -> str:
    """``SYMNET_CACHE_DIR``, else ``$XDG_CACHE_HOME/symnet`` or ``~/.cache/symnet``."""
    path = os.environ.get("SYMNET_CACHE_DIR")
    if not path:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "symnet")
    os.makedirs(path, exist_ok=True)
    return path


def write_atomically(path: str, text: str) -> None:
    """Readers see the old file or the whole new one, never half of it."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp_", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def code_digest() -> str:
    """A digest of symnet's and codegen's sources, Python's version and the versions of
    ``_DEPENDENCIES`` (read from their metadata: nothing is imported)."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        digest = hashlib.sha256(sys.version.encode())
        for package in ("symnet", "codegen"):
            for folder in importlib.util.find_spec(package).submodule_search_locations:
                for root, dirs, files in os.walk(folder):
                    dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                    for name in sorted(f for f in files if f.endswith(".py")):
                        path = os.path.join(root, name)
                        digest.update(os.path.relpath(path, folder).encode())
                        with open(path, "rb") as f:
                            digest.update(f.read())
        for name in _DEPENDENCIES:
            try:
                digest.update(f"{name}={importlib.metadata.version(name)}".encode())
            except importlib.metadata.PackageNotFoundError:
                digest.update(f"{name}=none".encode())
        _CODE_DIGEST = digest.hexdigest()[:16]
    return _CODE_DIGEST


_CODE_DIGEST = None


class Table:
    """A JSON object in ``<cache dir>/<name>-<code digest>.json``, read once per process.
    ``put`` merges with what other processes wrote meanwhile; entries are never changed,
    only added, so a lost race loses nothing but a little work."""

    def __init__(self, name: str):
        self.name = name
        self._entries: dict | None = None
        self._path: str | None = None

    def path(self) -> str:
        return os.path.join(cache_dir(), f"{self.name}-{code_digest()}.json")

    def get(self, key: str):
        path = self.path()
        if self._path != path:  # first use, or SYMNET_CACHE_DIR changed
            self._path, self._entries = path, _read(path)
        return self._entries.get(key)

    def put(self, key: str, value) -> None:
        path = self.path()
        entries = _read(path)
        entries[key] = value
        write_atomically(path, json.dumps(entries, sort_keys=True))
        self._path, self._entries = path, entries


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
        return entries if isinstance(entries, dict) else {}
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: start again
