"""Ctrl-C while shared variables are being written: held back until every one is written, so a
KeyboardInterrupt leaves each at its old value or its new one, never some of each."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


@contextmanager
def deferred():
    """SIGINT inside the block runs the handler it would have run, at the block's end.

    Only the main thread receives signals; elsewhere, or where SIGINT is ignored or left to
    the operating system, the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):
        yield
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        if received:
            handler(signal.SIGINT, received[0])
