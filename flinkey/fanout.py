"""One call per item (car, sample), a bounded number at a time, with partial results.

The API has no bulk calls: a fleet map is one location call per car. `fan_out` runs them
on a few threads, keeps the input order, turns every failure into that item's error
instead of failing the batch, and returns by its deadline whatever is still running.

`Ahead` is the one-call case: a call sent now, its answer taken later, so that a page's
own work runs while the call is on the network instead of after it.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import UpstreamTimeout

__all__ = ["Ahead", "Outcome", "fan_out"]

DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class Outcome[T, R]:
    """What one item's call gave: `value`, or the exception it raised in `error`."""

    item: T
    value: R | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True if the call returned (its value may still be None)."""
        return self.error is None


def fan_out[T, R](
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float | None = None,
    deadline: float | None = None,
) -> list[Outcome[T, R]]:
    """Return one Outcome per item, in input order; `fn(item)` runs on `concurrency` threads.

    Any exception `fn` raises becomes that item's `error`; the batch always completes.
    `timeout` (seconds from now) and `deadline` (a `time.monotonic()` moment, such as
    `FlinkeyClient.deadline`) bound the wait; the earlier wins. Items unfinished then get
    an `UpstreamTimeout` and the function returns on time: threads still in a call are
    abandoned, not joined, and start no further items. Meant for reads: like the client
    for a GET, it never sets `write_outcome_unknown`, yet an abandoned write could still
    complete later, so do not fan out writes with a deadline.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError("concurrency must be a positive int")
    if timeout is not None:
        until = time.monotonic() + timeout
        deadline = until if deadline is None else min(deadline, until)
    items = list(items)
    batch = _Batch(fn, items)
    workers = min(concurrency, len(items))
    if deadline is None or deadline > time.monotonic():
        context = contextvars.copy_context()
        for number in range(workers):
            # Daemon threads: one stuck in a hanging call never holds up interpreter exit.
            thread = threading.Thread(
                target=batch.work,
                args=(context,),
                name=f"flinkey-fan-out-{number}",
                daemon=True,
            )
            thread.start()
    batch.wait(deadline)
    return batch.outcomes()


class _Batch:
    """The shared state of one fan_out call: a queue of indexes and their outcomes."""

    def __init__(self, fn: Callable, items: list) -> None:
        self._fn = fn
        self._items = items
        self._results: list[Outcome | None] = [None] * len(items)
        self._started = [False] * len(items)
        self._next = 0
        self._pending = len(items)
        self._closed = False
        self._done = threading.Condition()

    def work(self, context: contextvars.Context) -> None:
        while True:
            with self._done:
                if self._closed or self._next >= len(self._items):
                    return
                index = self._next
                self._next += 1
                self._started[index] = True
            item = self._items[index]
            try:
                # Each call sees the caller's context variables (a copy: contexts can't
                # be entered by two threads at once).
                outcome = Outcome(item, value=context.copy().run(self._fn, item))
            except BaseException as exc:  # noqa: BLE001 - every failure is the item's outcome
                outcome = Outcome(item, error=exc)
            with self._done:
                if self._closed:
                    return  # too late: the caller has its answer already
                self._results[index] = outcome
                self._pending -= 1
                if self._pending == 0:
                    self._done.notify_all()

    def wait(self, deadline: float | None) -> None:
        with self._done:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._done.wait(left)
            self._closed = True

    def outcomes(self) -> list[Outcome]:
        with self._done:
            return [
                result if result is not None else _late(item, started)
                for item, result, started in zip(
                    self._items, self._results, self._started, strict=True
                )
            ]


def _late(item: object, started: bool) -> Outcome:
    if started:
        error = UpstreamTimeout("The flinkey API did not answer before this page's deadline.")
    else:
        error = UpstreamTimeout("This call was not started: the page's deadline had passed.")
    return Outcome(item, error=error)


class Ahead[R]:
    """`fn(*args, **kwargs)` started now on a thread of its own; `result()` waits for it.

    For a page whose one upstream call is most of its time: the call leaves first, and the
    page builds everything that does not need its answer meanwhile. `result()` returns what
    the call returned or raises what it raised, as if called in place. The call sees the
    caller's context variables (a copy), so a request's time budget and its log of upstream
    calls apply; the client's own timeouts bound the wait.

    Measured end to end (docs/benchmarks.md, the car list served at 10,000 cars, 50 ms):
    sending the call ahead saves ~10 % of the page. Holding the caller back until the
    request was on the wire (urllib3 connection subclasses telling when) made no difference
    that pays, and went.
    """

    def __init__(self, fn: Callable[..., R], /, *args, **kwargs) -> None:
        self._done = threading.Event()
        self._value: R | None = None
        self._error: BaseException | None = None
        context = contextvars.copy_context()
        # Daemon: one stuck in a hanging call never holds up interpreter exit.
        threading.Thread(
            target=self._run, args=(context, fn, args, kwargs), name="flinkey-ahead", daemon=True
        ).start()

    def _run(self, context: contextvars.Context, fn: Callable[..., R], args, kwargs) -> None:
        try:
            self._value = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> R:
        """Return the call's value, or raise its exception; waits until it has finished."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value
