"""Read a row stream ahead in a thread, so both sides of a merge query their servers at
the same time instead of one after the other (each waits for its sort before its first
row). At most a few batches are held: memory stays bounded."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

__all__ = ["prefetched"]

T = TypeVar("T")
BATCH = 5_000
AHEAD = 4  # batches held at most
_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """``items`` as they come, read ahead by a daemon thread; its errors are raised here.
    Stopping early (an error in the merge) stops the reader too."""
    buffer: queue.Queue[object] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            batch: list[T] = []
            for item in items:
                batch.append(item)
                if len(batch) >= BATCH:
                    if not put(batch):
                        return
                    batch = []
            if batch and not put(batch):
                return
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if callable(close):
                close()

    thread = threading.Thread(target=read, name="golive-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            got = buffer.get()
            if got is _END:
                return
            if isinstance(got, _Failed):
                raise got.error
            yield from got  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=30)
