"""Helper processes that compile kernels and library routines while this process compiles
the driver calling them: the driver's typing names each routine it launches (``launch`` in
``symnet.codegen.calls``), a helper compiles it into Numba's on-disk cache, and the driver's
code generation loads it from there. Anything that cannot go to a helper compiles here.

Numba compiles one function at a time per process (a global lock), so processes are the
only way to use a second core; a helper is ``python -m symnet.codegen.compile_pool``,
reading one request per line on stdin and answering one line each, in order. Requests are
JSON (module, function, argument types); nothing of the user's crosses.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import select
import subprocess
import sys
import threading

import numba
import numpy as np
from numba.core import types

from symnet.config import config
from symnet.diskcache import cache_dir


# -- argument types as JSON ------------------------------------------------------------------
def encode(t):
    """A JSON form of the Numba type ``t``, or None for types helpers are not sent."""
    if isinstance(t, types.Array):
        dtype = encode(t.dtype)
        return None if dtype is None else ["array", dtype, t.ndim, t.layout, t.mutable, t.aligned]
    if isinstance(t, (types.Integer, types.Float, types.Boolean)):
        return str(t)
    if isinstance(t, types.UniTuple):
        item = encode(t.dtype)
        return None if item is None else ["unituple", item, t.count]
    return None


def decode(data):
    if isinstance(data, str):
        return numba.from_dtype(np.dtype(data))
    if data[0] == "array":
        _, dtype, ndim, layout, mutable, aligned = data
        return types.Array(decode(dtype), ndim, layout, readonly=not mutable, aligned=aligned)
    if data[0] == "unituple":
        return types.UniTuple(decode(data[1]), data[2])
    raise ValueError(f"symnet compile helper: unknown type {data!r}")


# -- the pool, in the compiling process ------------------------------------------------------
def _settings() -> dict:
    """What a helper must share with this process to fill the caches it reads."""
    return {"SYMNET_CACHE_DIR": cache_dir(), "NUMBA_CACHE_DIR": numba.config.CACHE_DIR or ""}


class _Helper:
    """One helper process, given one request at a time."""

    def __init__(self, settings: dict):
        env = dict(os.environ, SYMNET_COMPILE_WORKERS="0", **settings)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "symnet.codegen.compile_pool"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env,
        )
        self.fd = self.process.stdout.fileno()
        self.unread = b""
        self.busy = None  # the key it is compiling

    def send(self, key, request: dict) -> None:
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        self.busy = key

    def read(self) -> None:
        """Take in what the helper wrote (the caller saw its pipe readable); raises OSError
        if it is gone, ValueError if it wrote anything but an answer."""
        data = os.read(self.fd, 4096)
        if not data:
            raise OSError("symnet compile helper exited")
        self.unread += data
        if self.unread.endswith(b"\n"):
            json.loads(self.unread)
            self.unread, self.busy = b"", None

    def close(self) -> None:
        # at once, whatever it is compiling: Numba writes cache entries atomically
        self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:  # unwritten bytes for a helper that died
                pass


class _Pool:
    """Routines to compile, handed to idle helpers first come first served by a thread that
    waits for their answers; a compile that needs a routine no helper has started compiles
    it here, and while it waits for one a helper is compiling, it compiles the latest-queued
    routines itself (work stealing)."""

    def __init__(self):
        self.helpers: list = []
        self.queue: dict = {}  # key → (dispatcher, argument types, request), in order, not yet sent
        self.broken = False
        self.settings: dict = {}
        self.changed = threading.Condition()  # guards all of the above; notified on every change
        self.thread = None

    def start(self) -> bool:
        settings = _settings()
        if self.helpers and settings != self.settings:  # the caches moved: helpers that fill these
            self.close()
        if not self.helpers and not self.broken:
            try:
                self.helpers = [_Helper(settings) for _ in range(config.compile_workers)]
            except OSError:
                self.broken = True
            self.settings = settings
            if self.thread is None:
                self.thread = threading.Thread(target=self.serve, name="symnet-compile-pool", daemon=True)
                self.thread.start()
                atexit.register(self.close)
        return bool(self.helpers)

    def known(self, key) -> bool:
        return key in self.queue or any(h.busy == key for h in self.helpers)

    def submit(self, key, item: tuple) -> None:
        with self.changed:
            if not self.known(key) and self.start():
                self.queue[key] = item
                self.changed.notify_all()

    def serve(self) -> None:
        """The thread: hands queued routines to idle helpers and takes in their answers."""
        while not self.broken:
            with self.changed:
                try:
                    for h in self.helpers:
                        if h.busy is None and self.queue:
                            key = next(iter(self.queue))
                            h.send(key, self.queue.pop(key)[2])
                except OSError:
                    self.fail()
                    return
                busy = [h for h in self.helpers if h.busy is not None]
                if not busy:
                    self.changed.wait()
                    continue
            ready, _, _ = select.select([h.fd for h in busy], [], [], 0.05)
            if ready:
                with self.changed:
                    try:
                        for h in busy:
                            if h.fd in ready and h in self.helpers:
                                h.read()
                    except (OSError, ValueError):
                        self.fail()
                    self.changed.notify_all()

    def wait(self, key) -> None:
        """Until no helper compiles ``key``: the caller compiles it next, from the cache a
        helper filled, or from scratch."""
        with self.changed:
            self.queue.pop(key, None)  # not started: the caller compiles it now
            while any(h.busy == key for h in self.helpers):
                if self.queue:
                    dispatcher, argtypes, _ = self.queue.pop(next(reversed(self.queue)))
                    self.changed.release()
                    try:
                        dispatcher.compile(argtypes)
                    except Exception:  # its own caller compiles it again and reports the error
                        pass
                    finally:
                        self.changed.acquire()
                else:
                    self.changed.wait()

    def fail(self) -> None:
        """A helper died or spoke nonsense: compile everything here from now on (the lock held)."""
        self.broken = True
        self.close()

    def close(self) -> None:
        with self.changed:
            for helper in self.helpers:
                helper.close()
            self.helpers, self.queue = [], {}
            self.changed.notify_all()


_POOL = _Pool()


def _forget_helpers() -> None:
    """In a forked child: the parent's helpers and their pipes are the parent's."""
    _POOL.helpers, _POOL.queue, _POOL.thread = [], {}, None
    _POOL.changed = threading.Condition()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


def _key(module: str, name: str, argtypes: tuple):
    return module, name, argtypes


def _cached(dispatcher, argtypes: tuple) -> bool:
    """Whether ``dispatcher`` has code for ``argtypes`` here or in Numba's on-disk cache."""
    if argtypes in dispatcher.overloads:
        return True
    try:
        cache = dispatcher._cache
        return cache._index_key(argtypes, dispatcher.targetctx.codegen()) in cache._cache_file._load_index()
    except Exception:  # no cache for this function (or Numba's internals moved): not known
        return False


def prefetch(dispatcher, argtypes: tuple) -> None:
    """Have a helper compile ``dispatcher`` for ``argtypes`` unless its code is at hand."""
    if config.compile_workers <= 0 or _POOL.broken:
        return
    module, name = dispatcher.py_func.__module__, dispatcher.py_func.__name__
    key = _key(module, name, argtypes)
    if _POOL.known(key) or not dispatcher._can_compile or type(dispatcher._cache).__name__ == "NullCache":
        return
    encoded = [encode(t) for t in argtypes]
    if None in encoded or tuple(map(decode, encoded)) != argtypes or _cached(dispatcher, argtypes):
        return
    _POOL.submit(key, (dispatcher, argtypes, {"module": module, "function": name, "types": encoded}))


def wait(module: str, name: str, argtypes: tuple) -> None:
    """Until a helper compiling ``module.name`` for ``argtypes`` (if one is) is done."""
    _POOL.wait(_key(module, name, argtypes))


# -- the helper ------------------------------------------------------------------------------
def _compile(request: dict) -> None:
    from symnet.codegen.cache import kernel_module

    name = request["module"]
    module = kernel_module(name) if name.startswith("symnet_gen_") else importlib.import_module(name)
    getattr(module, request["function"]).compile(tuple(decode(t) for t in request["types"]))


def main() -> None:
    for line in sys.stdin:
        try:
            _compile(json.loads(line))
            answer = {"ok": True}
        except Exception as e:  # the compiling process compiles it again and reports the error
            answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
