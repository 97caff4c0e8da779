"""Which status changes are announced.

Statuses come from :func:`inventory.models.stock_status` (out at 0, low at or below
the item's threshold, else ok), computed for the old image with its threshold and the
new image with its threshold. A new item starts from ok: nothing was known to be short.

=========  ========  ===========
old        new       alert
=========  ========  ===========
ok / new   out       OUT
low        out       OUT
ok / new   low       LOW
out        low, ok   RESTOCKED
any other            none (out->out, low->low, low->ok, ok->ok, new->ok)
=========  ========  ===========

So LOW fires only when an item crosses its threshold from above (count > threshold
before, count <= threshold and > 0 after), never again while it stays low; an item that
recovers from low to ok is not announced (nobody has to act), one that comes back from
0 is. A threshold change that moves an item across the line counts like a count change.

A retired item (a full list of its store omitted it) has no status: it is not counted in its
store's totals, and its retirement is never announced. An item named again after it was retired
comes back like a new item (from ok).
"""

from __future__ import annotations

from inventory.models import StockStatus, stock_status
from inventory.stores import StoreChange

from alerts.models.change import Alert, Level, StockChange


def status(level: Level, default_threshold: int) -> StockStatus:
    return stock_status(level.count, level.threshold, default_threshold)


def standing(level: Level | None, default_threshold: int) -> StockStatus | None:
    """An item's status for its store's totals: ``None`` when there is no such item, or it is retired."""
    return None if level is None or level.retired else status(level, default_threshold)


def transition(old: Level | None, new: Level, default_threshold: int) -> Alert | None:
    """The alert raised by a change from ``old`` (``None``: a new item) to ``new``, if any."""
    if new.retired:
        return None
    before = standing(old, default_threshold) or StockStatus.OK
    after = status(new, default_threshold)
    if before == after:
        return None
    if after is StockStatus.OUT:
        return Alert.OUT
    if before is StockStatus.OUT:
        return Alert.RESTOCKED
    if after is StockStatus.LOW:
        return Alert.LOW
    return None  # low -> ok


def store_change(change: StockChange, default_threshold: int) -> StoreChange | None:
    """How a change moves its store's totals; ``None`` when the previous state is unknown.

    An unreadable previous image leaves the totals alone rather than guess: guessing "new
    item" would count an existing item twice. The recount repairs what that leaves out.
    """
    if not change.old_known:
        return None
    delta = StoreChange()
    delta.record(standing(change.old, default_threshold), standing(change.new, default_threshold))
    return delta
