"""One short message per store: a subject fit for email, a body fit for SMS."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from alerts.models.change import Alert
from alerts.models.digest import Announcement, Digest

#: SNS takes subjects "less than 100 characters long".
MAX_SUBJECT = 99
#: The most SNS sends as one SMS (split into segments); email readers get the same text.
MAX_BODY = 1600
#: Longest item name shown in a body line; the store's dashboard has the full name.
MAX_ITEM_SHOWN = 60

_LABEL = {Alert.OUT: "OUT", Alert.LOW: "LOW", Alert.RESTOCKED: "RESTOCKED"}


def build_digest(store: str, announcements: Sequence[Announcement]) -> Digest:
    """The digest of one store's alerts, most severe first."""
    if not announcements:
        raise ValueError("a digest needs at least one alert")
    ordered = sorted(
        announcements, key=lambda a: (-a.alert.rank, a.change.item.casefold(), a.change.item, a.change.sequence)
    )
    counts = {alert: sum(1 for a in ordered if a.alert is alert) for alert in Alert}
    summary = _summary(counts)
    subject = f"{_shorten(_printable(store), MAX_SUBJECT - len(summary) - 2)}: {summary}"
    return Digest(
        store=store,
        subject=subject,
        body=_body(subject, [_line(a) for a in ordered]),
        severity=ordered[0].alert,
        items=len(ordered),
    )


def _summary(counts: dict[Alert, int]) -> str:
    """'2 items out of stock' for one kind of alert; '1 out of stock, 2 low' for several."""
    present = [(alert, n) for alert, n in counts.items() if n]
    if len(present) == 1:
        ((alert, n),) = present
        noun = "item" if n == 1 else "items"
        phrase = {Alert.OUT: "out of stock", Alert.LOW: "low on stock", Alert.RESTOCKED: "restocked"}[alert]
        return f"{n} {noun} {phrase}"
    words = {Alert.OUT: "out of stock", Alert.LOW: "low", Alert.RESTOCKED: "restocked"}
    return ", ".join(f"{n} {words[alert]}" for alert, n in present)


def _line(announcement: Announcement) -> str:
    change = announcement.change
    old = "new" if change.old is None else str(change.old.count)
    item = _shorten(_printable(change.item), MAX_ITEM_SHOWN)
    return f"{_LABEL[announcement.alert]} {item}: {old} -> {change.new.count}"


def _body(first_line: str, lines: list[str]) -> str:
    """The summary, then one line per alert while they fit; the rest are counted."""
    shown: list[str] = [first_line]
    size = len(first_line)
    for index, line in enumerate(lines):
        left = len(lines) - index
        tail = f"\n...and {left - 1} more" if left > 1 else ""
        if size + 1 + len(line) + len(tail) > MAX_BODY:
            shown.append(f"...and {left} more")
            break
        shown.append(line)
        size += 1 + len(line)
    return "\n".join(shown)


def _printable(text: str) -> str:
    """Control characters (line breaks included) become spaces: SNS refuses them in a subject."""
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in text).strip() or "?"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."
