"""The cache folder's size limit: entries used least recently go first and whole (a module
with Numba's files for it), nothing used in the last hour goes, nothing symnet did not
write goes, and a program whose module was removed is built again."""

import os
import time

import numpy as np
import pytest

import symnet as sn
from symnet import diskcache

DAY = 86400


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMNET_CACHE_DIR", str(tmp_path))
    return tmp_path


def _file(path, used: float, size: int = 1000):
    """A file of ``size`` bytes last used (accessed and modified) at ``used``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (used, used))
    return path


def _module(folder, key: str, used: float) -> list:
    """A generated module with what Python and Numba keep for it: four files."""
    name = f"symnet_gen_{key}"
    return [
        _file(folder / f"{name}.py", used),
        _file(folder / "__pycache__" / f"{name}.cpython-311.pyc", used),
        _file(folder / "__pycache__" / f"{name}.run_serial-15.py311.nbi", used),
        _file(folder / "__pycache__" / f"{name}.run_serial-15.py311.1.nbc", used),
    ]


def test_the_least_recently_used_entries_go_whole_and_recent_or_foreign_files_stay(folder):
    now = time.time()
    old = _module(folder, "aa" * 12, now - 3 * DAY)
    older_entry = _file(folder / f"programs-{'1' * 16}" / f"{'2' * 32}.json", now - 4 * DAY)
    kept = _module(folder, "bb" * 12, now - 2 * DAY)
    recent = _module(folder, "cc" * 12, now - 600)
    foreign = [
        _file(folder / "notes.txt", now - 9 * DAY),
        _file(folder / "mine" / "symnet_gen_x.py", now - 9 * DAY),
        _file(folder / "__pycache__" / "other.cpython-311.pyc", now - 9 * DAY),
        _file(folder / f"programs-{'1' * 16}x" / f"{'3' * 32}.json", now - 9 * DAY),
    ]
    ours = 3 * 4 * 1000 + 1000
    # over the limit by 4,500 bytes: the oldest entry (1,000) and the next (4,000) go
    assert diskcache.prune(limit=ours - 4500, now=now) == 5000
    assert not any(p.exists() for p in old + [older_entry])
    assert not (folder / f"programs-{'1' * 16}").exists()  # its folder, left empty
    assert all(p.exists() for p in kept + recent + foreign)
    # under the limit: nothing to do
    assert diskcache.prune(limit=ours, now=now) == 0
    # nothing allowed: everything but what was used in the last hour
    assert diskcache.prune(limit=0, now=now) == 4000
    assert not any(p.exists() for p in kept)
    assert all(p.exists() for p in recent + foreign)


def test_note_use_sets_the_access_time_and_keeps_the_modification_time(folder):
    path = _file(folder / "symnet_gen_ab.py", time.time() - DAY)
    before = os.stat(path)
    diskcache.note_use(path)
    after = os.stat(path)
    assert after.st_mtime_ns == before.st_mtime_ns  # what Numba's cache index compares
    assert after.st_atime > before.st_atime + DAY / 2


def test_the_limit_comes_from_the_environment(folder, monkeypatch):
    monkeypatch.setenv("SYMNET_CACHE_MAX_MB", "0.5")
    assert diskcache.limit_bytes() == 2**19
    monkeypatch.delenv("SYMNET_CACHE_MAX_MB")
    assert diskcache.limit_bytes() == diskcache.DEFAULT_LIMIT_MB * 2**20
    monkeypatch.setenv("SYMNET_CACHE_MAX_MB", "lots")
    monkeypatch.setattr(diskcache, "_PRUNED", False)
    z = sn.vector("z")
    for k in (7, 8):  # said by every compile that writes a module, not only the first
        with pytest.raises(ValueError, match="SYMNET_CACHE_MAX_MB must be a number of megabytes, got 'lots'"):
            sn.function([z], z - k)


def _graph():
    x = sn.vector("x")
    return [x], sn.exp(x) * 3 + 1


def test_writing_a_module_prunes_and_a_pruned_program_is_built_again(folder, monkeypatch):
    stale = _module(folder, "dd" * 12, time.time() - 3 * DAY)
    monkeypatch.setenv("SYMNET_CACHE_MAX_MB", "0")
    monkeypatch.setattr(diskcache, "_PRUNED", False)
    inputs, output = _graph()
    f = sn.function(inputs, output)
    assert not any(p.exists() for p in stale)  # the new module's write made room
    modules = sorted(folder.glob("symnet_gen_*.py"))
    assert len(modules) == 2  # the new driver and its kernel: used just now
    # the next process to write within the hour does not list the folder again
    monkeypatch.setattr(diskcache, "_PRUNED", False)
    late = _module(folder, "ee" * 12, time.time() - 3 * DAY)
    y = sn.vector("y")
    sn.function([y], y * 2)
    assert len(list(folder.glob("symnet_gen_*.py"))) == 5  # the first two, the stale one, the new two
    assert all(p.exists() for p in late)
    x = np.linspace(-1, 1, 5, dtype="float32")
    np.testing.assert_allclose(f(x), np.exp(x) * 3 + 1, rtol=1e-6)
    # a day later everything is stale: the module and the program entry go; the same graph
    # is then built (not recalled) again and computes the same
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (time.time() - DAY, time.time() - DAY))
    assert diskcache.prune(limit=0) > 0
    assert not any(m.exists() for m in modules)
    inputs, output = _graph()
    again = sn.function(inputs, output)
    assert "recall" not in again.compile_time and not again.compile_time["cache_hit"]
    assert all(m.exists() for m in modules)
    np.testing.assert_allclose(again(x), np.exp(x) * 3 + 1, rtol=1e-6)


def test_the_cache_command_reports_prunes_and_clears(folder, monkeypatch, capsys):
    from symnet.__main__ import cache

    now = time.time()
    _module(folder, "aa" * 12, now - 3 * DAY)
    recent = _module(folder, "bb" * 12, now - 60)
    _file(folder / f"programs-{'1' * 16}" / f"{'2' * 32}.json", now - 60)
    _file(folder / f"derivatives-{'1' * 16}" / f"{'3' * 32}.json", now - 60)
    foreign = _file(folder / "notes.txt", now - 9 * DAY)
    assert cache([]) == 0
    assert "0.0 MB of 1024 MB (SYMNET_CACHE_MAX_MB); 2 modules, 1 derivatives entries, 1 programs entries" in capsys.readouterr().out
    assert diskcache.usage()["bytes"] == 10 * 1000
    monkeypatch.setenv("SYMNET_CACHE_MAX_MB", "0")
    cache(["--prune"])  # down to nothing, but what was used in the last hour stays
    assert "2 modules" not in capsys.readouterr().out
    assert diskcache.usage() == {"bytes": 6000, "modules": 1, "programs": 1, "derivatives": 1}
    assert all(p.exists() for p in recent)
    cache(["--clear"])
    assert "removed 0.0 MB" in capsys.readouterr().out
    assert diskcache.usage() == {"bytes": 0, "modules": 0}
    assert foreign.exists() and not (folder / f"programs-{'1' * 16}").exists()


def test_an_entry_loaded_after_the_listing_is_not_removed(folder, monkeypatch):
    now = time.time()
    loaded = _module(folder, "aa" * 12, now - 3 * DAY)
    other = _module(folder, "bb" * 12, now - 3 * DAY)
    listing = diskcache._entries(str(folder))
    diskcache.note_use(str(loaded[0]))  # another process loads it while this one prunes
    monkeypatch.setattr(diskcache, "_entries", lambda root: listing)
    assert diskcache.prune(limit=0) == 4000
    assert all(p.exists() for p in loaded) and not any(p.exists() for p in other)


def test_a_module_removed_between_reading_and_importing_is_written_again(folder):
    import sys

    from symnet.codegen import cache

    source = '"""Generated by symnet: a test module."""\nVALUE = 41 + 1\n'
    module, hit = cache.load(source, "cpu")
    assert not hit and module.VALUE == 42
    path = module.__file__
    del sys.modules[module.__name__]
    os.unlink(path)  # another process's prune, after this one read the file
    again = cache._import(module.__name__, path, source)
    assert again.VALUE == 42 and open(path).read() == source
