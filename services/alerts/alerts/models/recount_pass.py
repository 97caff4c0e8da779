"""Where the recount's daily pass over the stores stands, and what one run of it did."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.models.recount import StoreRecount


@dataclass(frozen=True, slots=True)
class RecountPass:
    """The pass over every store (in name order) that the scheduled runs share.

    ``started``: when the current (or last) pass began, ``None`` before the first one;
    ``after``: the last store it has reached, ``None`` at its start;
    ``finished``: when it reached the last store, ``None`` while it is under way.
    """

    started: str | None = None
    after: str | None = None
    finished: str | None = None


@dataclass(frozen=True, slots=True)
class PassRun:
    """One run's share of the pass: the stores it recounted and where it left the pass.

    ``progress`` is ``None`` when another run held the pass, so this one recounted nothing.
    """

    results: list[StoreRecount] = field(default_factory=list)
    progress: RecountPass | None = None
