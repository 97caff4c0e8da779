"""One short message per store: a subject and item lines for email, counts and a link for SMS.

SMS carries no item name, store name or other text that came from a file: anyone who may
upload could otherwise text every subscribed phone their own words under the company's sender
(smishing). Store names are chosen by head office, but a text that names no store is also
shorter, and the link leads to the alerts the reader may see.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from inventory.forecast import Forecast, parse_time

from alerts.models.change import Alert
from alerts.models.digest import Announcement, Digest

#: SNS takes subjects "less than 100 characters long".
MAX_SUBJECT = 99
#: The most SNS sends as one SMS (split into segments); email readers get the same text.
MAX_BODY = 1600
#: Longest item name shown in a body line; the store's dashboard has the full name.
MAX_ITEM_SHOWN = 60

_LABEL = {Alert.OUT: "OUT", Alert.LOW: "LOW", Alert.SOON: "SOON", Alert.RESTOCKED: "RESTOCKED"}
_ALONE = {
    Alert.OUT: "out of stock",
    Alert.LOW: "low on stock",
    Alert.SOON: "running out soon",
    Alert.RESTOCKED: "restocked",
}
_AMONG = {Alert.OUT: "out of stock", Alert.LOW: "low", Alert.SOON: "running out soon", Alert.RESTOCKED: "restocked"}
#: Beyond this many days a run-out time also names its date (a weekday alone would be ambiguous).
_WEEK = 6.0


def build_digest(store: str, announcements: Sequence[Announcement], dashboard_url: str = "") -> Digest:
    """The digest of one store's alerts, one line per change in the order the changes happened.

    The SMS text holds only the counts per severity and a link to the dashboard's alerts (at
    ``dashboard_url``, when the stage names it).

    An item that ran out and came back in one batch reads ``OUT`` then ``RESTOCKED``: the lines
    are the story of the batch, not a ranking. ``severity`` is the most severe alert of them.
    """
    if not announcements:
        raise ValueError("a digest needs at least one alert")
    present = sorted({a.alert for a in announcements}, key=lambda alert: -alert.rank)
    counts = {alert: sum(1 for a in announcements if a.alert is alert) for alert in present}
    summary = _summary(counts)
    subject = f"{_shorten(_printable(store), MAX_SUBJECT - len(summary) - 2)}: {summary}"
    return Digest(
        store=store,
        subject=subject,
        body=_body(subject, [_line(a) for a in announcements]),
        sms=_sms(summary, dashboard_url),
        severity=present[0],
        severities=tuple(present),
        items=len(announcements),
    )


def _summary(counts: dict[Alert, int]) -> str:
    """'2 items out of stock' for one kind of alert; '1 out of stock, 2 low' for several."""
    if len(counts) == 1:
        ((alert, n),) = counts.items()
        noun = "item" if n == 1 else "items"
        return f"{n} {noun} {_ALONE.get(alert, alert.value)}"
    return ", ".join(f"{n} {_AMONG.get(alert, alert.value)}" for alert, n in counts.items())


def _sms(summary: str, dashboard_url: str) -> str:
    """'Stock alert: 1 out of stock, 2 low. Details: https://.../#/alerts' (no names: see the module)."""
    where = f"Details: {dashboard_url.rstrip('/')}/#/alerts" if dashboard_url else "Details on the inventory dashboard."
    return f"Stock alert: {summary}. {where}"


def _line(announcement: Announcement) -> str:
    """``OUT Echo Plus: 3 -> 0``; for a forecast, ``SOON Echo Dot: 12 left, runs out in ~2 days (Tue 14:00 UTC)``."""
    change = announcement.change
    item = _shorten(_printable(change.item), MAX_ITEM_SHOWN)
    label = _LABEL.get(announcement.alert, announcement.alert.value.upper())
    if announcement.alert is Alert.SOON:
        line = f"{label} {item}: {change.new.count} left"
        projected = announcement.forecast
        return line if projected is None else f"{line}, runs out {_when(projected)}"
    old = "new" if change.old is None else str(change.old.count)
    return f"{label} {item}: {old} -> {change.new.count}"


def _when(projected: Forecast) -> str:
    """'in ~2 days (Tue 14:00 UTC)', 'in ~5 hours (Mon 22:00 UTC)', 'in ~9 days (Wed 2 Dec 08:00 UTC)'."""
    days = projected.days_left
    if days < 1:
        hours = round(days * 24)
        span = "within the hour" if hours < 1 else f"in ~{hours} hour{'s' if hours != 1 else ''}"
    else:
        whole = round(days)
        span = f"in ~{whole} day{'s' if whole != 1 else ''}"
    moment = parse_time(projected.runs_out_at)
    shown = moment.strftime("%a %H:%M") if days <= _WEEK else f"{moment:%a} {moment.day} {moment:%b %H:%M}"
    return f"{span} ({shown} UTC)"


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
