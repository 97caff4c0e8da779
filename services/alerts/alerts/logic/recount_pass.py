"""The recount's daily pass over every store, shared by short scheduled runs.

One run has at most 15 minutes, which 10,000 stores can outlast, so the stores are walked as one
pass per UTC day that several runs continue (the schedule runs hourly):

1. a run first takes the pass until its own deadline; while another run holds it, this one does
   nothing (two overlapping runs never walk the same stores). A run that dies keeps it only until
   its deadline, and the next run continues from the last store it recorded;
2. a pass under way is continued after its last store; a finished one starts again, from the
   first store, with the first run of a later UTC day than the one it started on (so each store
   is recounted about every 24 hours, at the same point of the day);
3. stores are walked in name order, so a store deleted or added meanwhile does not move the
   others; after each store the pass records it, on condition that this run still holds it;
4. the run stops when ``keep_going()`` says so (its time is nearly up), and always lets go of
   the pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from inventory.models import iso_utc

from alerts.models.recount import StoreRecount
from alerts.models.recount_pass import PassRun, RecountPass


class StoreNames(Protocol):
    def stores(self) -> Iterable[str]: ...


class StoreRecounter(Protocol):
    def recount(self, store: str) -> StoreRecount: ...


class PassProgress(Protocol):
    def take(self, owner: str, until: str, now: str) -> RecountPass | None:
        """Hold the pass for ``owner`` until ``until``; where it stands, or ``None`` if another run holds it."""
        ...

    def save(self, owner: str, progress: RecountPass) -> bool:
        """Record ``progress`` if ``owner`` still holds the pass; ``False`` if another run took it."""
        ...

    def release(self, owner: str) -> None:
        """Let go of the pass (nothing if ``owner`` no longer holds it)."""
        ...


class DailyPass:
    def __init__(
        self,
        *,
        recounter: StoreRecounter,
        stores: StoreNames,
        progress: PassProgress,
        clock: Callable[[], datetime],
    ) -> None:
        self._recounter = recounter
        self._stores = stores
        self._progress = progress
        self._clock = clock

    def run(self, owner: str, until: datetime, keep_going: Callable[[], bool]) -> PassRun:
        """Continue the pass as ``owner`` (holding it until ``until``) while ``keep_going()``."""
        progress = self._progress.take(owner, iso_utc(until), iso_utc(self._clock()))
        if progress is None:
            return PassRun()
        try:
            return self._continue(owner, progress, keep_going)
        finally:
            self._progress.release(owner)

    def _continue(self, owner: str, progress: RecountPass, keep_going: Callable[[], bool]) -> PassRun:
        results: list[StoreRecount] = []
        if progress.finished is not None or progress.started is None:
            now = iso_utc(self._clock())
            if progress.started is not None and progress.started[:10] == now[:10]:
                return PassRun(results, progress)  # today's pass is done
            progress = RecountPass(started=now)
            if not self._progress.save(owner, progress):
                return PassRun(results, progress)
        after = progress.after
        for store in sorted(name for name in set(self._stores.stores()) if after is None or name > after):
            if not keep_going():
                return PassRun(results, progress)
            results.append(self._recounter.recount(store))
            progress = RecountPass(progress.started, store)
            if not self._progress.save(owner, progress):
                return PassRun(results, progress)  # another run took the pass (ours ran out)
        progress = RecountPass(progress.started, progress.after, iso_utc(self._clock()))
        self._progress.save(owner, progress)
        return PassRun(results, progress)
