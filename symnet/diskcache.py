"""What symnet keeps on disk between processes: the cache folder, atomic writes, small
JSON entries filed under the digest of the code that wrote them (a changed symnet, or a
changed version of what it generates code for, reads none of the old entries), and the
size limit that removes what was used least recently."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import tempfile
import time

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
    """A digest of symnet's sources (its back end, symnet.codegen, included), Python's version and the versions of
    ``_DEPENDENCIES`` (read from their metadata: nothing is imported)."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        digest = hashlib.sha256(sys.version.encode())
        for package in ("symnet",):
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


# The folder stays under a size limit: when a process has written a new module, the entries
# used least recently are removed. Nothing used in the last hour is removed (another process
# may be reading it), so a folder in heavy use can stay over the limit for a while.
DEFAULT_LIMIT_MB = 1024
RECENT_SECONDS = 3600
# only what symnet writes is ever removed, whatever else shares the folder: generated modules
# (with what Python and Numba keep for them in __pycache__), table entries, temporary files
_MODULE = re.compile(r"^(symnet_gen_[0-9a-f]+)\.")
_TABLE_FOLDER = re.compile(r"^[a-z]+-[0-9a-f]{16}$")
_TABLE_ENTRY = re.compile(r"^[0-9a-f]{32}\.json$")
_TEMPORARY = re.compile(r"^\.tmp_\w+\.(py|json)$")


def note_use(path: str) -> None:
    """Mark a cache file as used now: its access time is set, its modification time (which
    Numba compares against its cache of a module) is kept to the nanosecond."""
    try:
        os.utime(path, ns=(time.time_ns(), os.stat(path).st_mtime_ns))
    except OSError:
        pass


def limit_bytes() -> float:
    """``SYMNET_CACHE_MAX_MB`` (megabytes), else ``DEFAULT_LIMIT_MB``."""
    text = os.environ.get("SYMNET_CACHE_MAX_MB", "")
    try:
        megabytes = float(text) if text else DEFAULT_LIMIT_MB
    except ValueError:
        raise ValueError(f"SYMNET_CACHE_MAX_MB must be a number of megabytes, got {text!r}") from None
    return max(megabytes, 0.0) * 2**20


def _entries(root: str) -> dict:
    """What the cache folder holds, as entries removed whole: name → [(path, stat)], the
    first path the one whose access time ``note_use`` sets (a module, a table entry)."""
    entries: dict = {}

    def scan(folder: str, entry_of) -> None:
        try:
            items = list(os.scandir(folder))
        except OSError:
            return
        for item in items:
            name = entry_of(item.name)
            if name is None or not item.is_file(follow_symlinks=False):
                continue
            try:
                entries.setdefault(name, []).append((item.path, item.stat(follow_symlinks=False)))
            except OSError:
                pass  # removed meanwhile

    def module(name: str):
        match = _MODULE.match(name)
        return match.group(1) if match else None

    # modules first, so that each module's own file leads its entry
    scan(root, lambda name: module(name) if name.endswith(".py") else (name if _TEMPORARY.match(name) else None))
    scan(os.path.join(root, "__pycache__"), module)
    for folder in _table_folders(root):
        scan(folder, lambda name, folder=folder: os.path.join(folder, name) if _TABLE_ENTRY.match(name) or _TEMPORARY.match(name) else None)
    return entries


def _table_folders(root: str) -> list:
    try:
        return [item.path for item in os.scandir(root) if _TABLE_FOLDER.match(item.name) and item.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def usage() -> dict:
    """What the cache folder holds that symnet wrote: ``bytes``, and the number of
    ``modules`` and of ``entries`` of each table (``programs``, ``derivatives``)."""
    root = cache_dir()
    found = {"bytes": 0, "modules": 0}
    for name, files in _entries(root).items():
        found["bytes"] += sum(stat.st_size for _, stat in files)
        if name.startswith("symnet_gen_"):
            found["modules"] += 1
        elif os.path.dirname(name) != "":
            table = os.path.basename(os.path.dirname(name)).rsplit("-", 1)[0]
            found[table] = found.get(table, 0) + 1
    return found


def prune(limit: float | None = None, now: float | None = None, spare_seconds: float = RECENT_SECONDS) -> int:
    """Remove the least recently used entries of the cache folder until it holds at most
    ``limit`` bytes (default ``limit_bytes()``), sparing entries used in the last
    ``spare_seconds``; returns the bytes removed. Empty table folders go too."""
    root = cache_dir()
    limit = limit_bytes() if limit is None else limit
    now = time.time() if now is None else now
    entries = _entries(root)
    total = sum(stat.st_size for files in entries.values() for _, stat in files)
    if total <= limit:
        return 0

    def last_use(files) -> float:
        return max([files[0][1].st_atime] + [stat.st_mtime for _, stat in files])

    removed = 0
    for files in sorted(entries.values(), key=last_use):
        if total - removed <= limit or now - last_use(files) < spare_seconds:
            break
        try:
            lead = os.stat(files[0][0])
        except OSError:
            lead = files[0][1]
        if now - max(lead.st_atime, lead.st_mtime) < spare_seconds:
            continue  # a process has just loaded it (after the listing)
        for path, stat in reversed(files):  # Numba's files before the module they belong to
            try:
                os.unlink(path)
                removed += stat.st_size
            except OSError:
                pass
    for folder in _table_folders(root):
        try:
            os.rmdir(folder)  # only if empty
        except OSError:
            pass
    return removed


def prune_once() -> None:
    """``prune()`` the first time a process asks (after it wrote a new module), unless some
    process did in the last ``RECENT_SECONDS``: listing a full folder takes ~0.1 s."""
    global _PRUNED
    if _PRUNED:
        return
    limit = limit_bytes()  # a bad setting is reported whether or not it is needed now
    _PRUNED = True
    try:
        stamp = os.path.join(cache_dir(), ".pruned")
        if time.time() - os.stat(stamp).st_mtime < RECENT_SECONDS:
            return
    except FileNotFoundError:
        pass  # never pruned
    except OSError:
        return  # no cache folder to keep small
    try:
        with open(stamp, "w"):
            pass
        prune(limit)
    except OSError:
        pass  # a cache folder that cannot be written or listed is left as it is


_PRUNED = False


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
            note_use(path)
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
