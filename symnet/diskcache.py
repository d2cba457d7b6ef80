"""What symnet keeps on disk between processes: the cache folder, atomic writes, and small
JSON entries filed under the digest of the code that wrote them (a changed symnet, or a
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
    """Small JSON entries, one file each, in ``<cache dir>/<name>-<code digest>/``: a key's
    file is written once, atomically, and read by any later process. Where the cache folder
    cannot be written, entries stay in this process."""

    def __init__(self, name: str):
        self.name = name
        self._memory: dict = {}  # file path (or key, without a folder) → value, this process

    def folder(self) -> str:
        return os.path.join(cache_dir(), f"{self.name}-{code_digest()}")

    def _file(self, key: str) -> str | None:
        try:
            return os.path.join(self.folder(), hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")
        except OSError:
            return None  # no cache folder

    def get(self, key: str):
        path = self._file(key)
        slot = path or key  # entries as read from (or written to) this cache folder
        if slot not in self._memory:
            if path is None:
                return None
            try:
                with open(path, encoding="utf-8") as f:
                    stored = json.load(f)
            except (OSError, ValueError):
                return None  # none yet, or a damaged file
            if not isinstance(stored, dict) or stored.get("key") != key:
                return None  # another key's file (a hash collision)
            self._memory[slot] = stored.get("value")
        return self._memory[slot]

    def put(self, key: str, value) -> None:
        path = self._file(key)
        self._memory[path or key] = value
        if path is not None:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                write_atomically(path, json.dumps({"key": key, "value": value}))
            except OSError:
                pass  # this process keeps it
