"""An item's Forecast row as the stream consumer reads it, and what its write must find."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.forecast import ForecastRow

#: (store, item): the Forecast table's key.
ItemKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class StoredForecast:
    """What a consistent read of an item's row found.

    ``row`` is ``None`` when there is no row or it cannot be read (the model then starts over
    for the item); ``exists`` says whether a row was there, and ``sequence`` is its ``Sequence``
    attribute as read (``None`` when absent): the write succeeds only if the row is still so.
    """

    row: ForecastRow | None
    exists: bool = False
    sequence: str | None = None
    problem: str = ""  # why an existing row could not be read


ABSENT = StoredForecast(None)
