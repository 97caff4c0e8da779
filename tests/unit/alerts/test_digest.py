"""The digest: one message per store, its subject, its body and its filterable attributes."""

from __future__ import annotations

import json

import pytest
from alerts.logic.digest import MAX_BODY, MAX_SUBJECT, build_digest
from alerts.models.change import Alert, Level, StockChange
from alerts.models.digest import Announcement
from alerts.models.history import history_entry

pytestmark = pytest.mark.unit

_sequence = iter(range(1000, 10**6))


def alert(store: str, item: str, old: int | None, new: int, kind: Alert) -> Announcement:
    change = StockChange(
        store=store,
        item=item,
        old=None if old is None else Level(old, None),
        new=Level(new, None),
        time="2026-11-22T03:00:00.000Z",
        sequence=str(next(_sequence)),
    )
    return Announcement(change, kind, history_entry(change, 90))


def test_one_kind_of_alert_reads_as_a_plain_sentence():
    out = build_digest(
        "Berlin", [alert("Berlin", "Echo Plus", 3, 0, Alert.OUT), alert("Berlin", "Echo", 1, 0, Alert.OUT)]
    )
    assert out.subject == "Berlin: 2 items out of stock"
    one_low = build_digest("Berlin", [alert("Berlin", "Echo Dot", 12, 4, Alert.LOW)])
    assert one_low.subject == "Berlin: 1 item low on stock"
    back = build_digest("Berlin", [alert("Berlin", "Echo Dot", 0, 12, Alert.RESTOCKED)])
    assert back.subject == "Berlin: 1 item restocked"


def test_mixed_alerts_are_counted_most_severe_first_and_listed_in_the_order_they_happened():
    digest = build_digest(
        "Berlin",
        [
            alert("Berlin", "Echo Show", 0, 18, Alert.RESTOCKED),
            alert("Berlin", "Echo Look", 10, 2, Alert.LOW),
            alert("Berlin", "Echo Plus", None, 0, Alert.OUT),
            alert("Berlin", "Amazon Tap", 15, 5, Alert.LOW),
        ],
    )
    assert digest.subject == "Berlin: 1 out of stock, 2 low, 1 restocked"
    assert digest.body.splitlines() == [
        "Berlin: 1 out of stock, 2 low, 1 restocked",
        "RESTOCKED Echo Show: 0 -> 18",
        "LOW Echo Look: 10 -> 2",
        "OUT Echo Plus: new -> 0",
        "LOW Amazon Tap: 15 -> 5",
    ]
    assert digest.severity is Alert.OUT
    assert digest.items == 4
    assert digest.attributes() == {
        "store": {"DataType": "String", "StringValue": "Berlin"},
        "severity": {"DataType": "String", "StringValue": "out"},
        "severities": {"DataType": "String.Array", "StringValue": '["out", "low", "restocked"]'},
        "items": {"DataType": "Number", "StringValue": "4"},
    }


def test_the_same_item_twice_reads_as_its_story():
    digest = build_digest(
        "Berlin",
        [alert("Berlin", "Echo Plus", 3, 0, Alert.OUT), alert("Berlin", "Echo Plus", 0, 8, Alert.RESTOCKED)],
    )
    assert digest.body.splitlines()[1:] == ["OUT Echo Plus: 3 -> 0", "RESTOCKED Echo Plus: 0 -> 8"]


@pytest.mark.parametrize(
    ("kinds", "severity"), [([Alert.LOW, Alert.RESTOCKED], "low"), ([Alert.RESTOCKED], "restocked")]
)
def test_severity_is_the_most_severe_alert_in_the_digest_and_severities_lists_each(kinds: list[Alert], severity: str):
    digest = build_digest("Paris", [alert("Paris", f"item {n}", 0, 0, kind) for n, kind in enumerate(kinds)])
    assert digest.attributes()["severity"]["StringValue"] == severity
    assert json.loads(digest.attributes()["severities"]["StringValue"]) == [kind.value for kind in kinds]


def test_a_long_store_name_is_shortened_so_the_subject_fits_sns():
    store = "S" * 200
    digest = build_digest(store, [alert(store, f"item {n}", 9, 0, Alert.OUT) for n in range(3)])
    assert len(digest.subject) <= MAX_SUBJECT
    assert digest.subject.endswith("...: 3 items out of stock")
    assert digest.attributes()["store"]["StringValue"] == store  # filters still see the full name


def test_control_characters_never_reach_the_subject():
    digest = build_digest("Ber\nlin\t", [alert("Ber\nlin\t", "Echo", 9, 0, Alert.OUT)])
    assert "\n" not in digest.subject
    assert "\t" not in digest.subject


def test_a_large_digest_stays_short_enough_for_sms_and_says_how_many_it_left_out():
    announcements = [alert("Berlin", f"Product number {n:04d} " + "x" * 150, 9, 0, Alert.OUT) for n in range(300)]
    digest = build_digest("Berlin", announcements)
    lines = digest.body.splitlines()
    assert len(digest.body) <= MAX_BODY
    shown = [line for line in lines[1:] if line.startswith("OUT ")]
    assert lines[-1] == f"...and {300 - len(shown)} more"
    assert all(len(line) < 100 for line in shown)  # long item names are cut
    assert digest.subject == "Berlin: 300 items out of stock"
    assert digest.items == 300


def test_a_body_that_fits_lists_every_item():
    digest = build_digest("Berlin", [alert("Berlin", f"Item {n:02d}", 9, 0, Alert.OUT) for n in range(40)])
    assert len(digest.body.splitlines()) == 41
    assert len(digest.body) <= MAX_BODY


def soon(item: str, count: int, days_left: float | None, runs_out_at: str = "") -> Announcement:
    from inventory.forecast import Forecast

    base = alert("Berlin", item, count + 5, count, Alert.SOON)
    projected = None if days_left is None else Forecast(count, count / days_left, days_left, runs_out_at)
    return Announcement(base.change, Alert.SOON, base.entry, projected)


@pytest.mark.parametrize(
    ("days_left", "runs_out_at", "said"),
    [
        (2.25, "2026-11-24T09:00:00.000Z", "runs out in ~2 days (Tue 09:00 UTC)"),
        (1.0, "2026-11-23T03:00:00.000Z", "runs out in ~1 day (Mon 03:00 UTC)"),
        (0.2, "2026-11-22T07:48:00.000Z", "runs out in ~5 hours (Sun 07:48 UTC)"),
        (0.01, "2026-11-22T03:14:24.000Z", "runs out within the hour (Sun 03:14 UTC)"),
        # With a stage's soonDays above a week, a weekday alone would be ambiguous.
        (9.0, "2026-12-01T03:00:00.000Z", "runs out in ~9 days (Tue 1 Dec 03:00 UTC)"),
    ],
)
def test_a_soon_line_says_how_many_are_left_and_when_they_run_out(days_left: float, runs_out_at: str, said: str):
    digest = build_digest("Berlin", [soon("Echo Dot", 12, days_left, runs_out_at)])

    assert digest.subject == "Berlin: 1 item running out soon"
    assert digest.body.splitlines()[1] == f"SOON Echo Dot: 12 left, {said}"
    assert digest.severity is Alert.SOON
    assert json.loads(digest.attributes()["severities"]["StringValue"]) == ["soon"]


def test_soon_ranks_below_out_and_low_and_above_restocked_in_the_subject_and_attributes():
    digest = build_digest(
        "Berlin",
        [
            alert("Berlin", "Echo Show", 0, 18, Alert.RESTOCKED),
            soon("Echo Dot", 12, 2.0, "2026-11-24T03:00:00.000Z"),
            alert("Berlin", "Echo Look", 10, 2, Alert.LOW),
        ],
    )
    assert digest.subject == "Berlin: 1 low, 1 running out soon, 1 restocked"
    assert [severity.value for severity in digest.severities] == ["low", "soon", "restocked"]
    assert digest.severity is Alert.LOW


def test_a_soon_line_without_a_projection_still_names_the_count():
    assert build_digest("Berlin", [soon("Echo Dot", 12, None)]).body.splitlines()[1] == "SOON Echo Dot: 12 left"


HOSTILE = "Parcel held. Pay fee: https://evil.example/pay"


def test_an_sms_digest_carries_counts_and_a_link_never_an_uploaded_word():
    digest = build_digest(
        "Berlin",
        [alert("Berlin", HOSTILE, 3, 0, Alert.OUT), alert("Berlin", "Call +441234567890 now", 9, 2, Alert.LOW)],
        "https://dashboard.example.com/",
    )

    assert digest.sms == "Stock alert: 1 out of stock, 1 low. Details: https://dashboard.example.com/#/alerts"
    for word in ("Parcel", "Pay fee", "evil.example", "+441234567890", "Berlin"):
        assert word not in digest.sms


def test_the_sns_message_gives_sms_its_own_text_and_email_and_every_other_protocol_the_item_lines():
    """SNS (Publish with MessageStructure=json) sends each protocol its key and every protocol not named
    the required `default`; moto's topic subscriptions pick the same way."""
    digest = build_digest("Berlin", [alert("Berlin", HOSTILE, 3, 0, Alert.OUT)])

    texts = json.loads(digest.message())

    assert set(texts) == {"default", "email", "sms"}
    assert texts["email"] == texts["default"] == digest.body
    assert f"OUT {HOSTILE}: 3 -> 0" in texts["email"].splitlines()
    assert texts["sms"] == "Stock alert: 1 item out of stock. Details on the inventory dashboard."
    assert "Parcel" not in texts["sms"]


def test_a_large_digest_still_makes_a_one_segment_sms():
    announcements = [alert("Berlin", f"{HOSTILE} {n}", 5, 0, Alert.OUT) for n in range(400)]

    digest = build_digest("Berlin", announcements, "https://dashboard.example.com")

    assert digest.sms == "Stock alert: 400 items out of stock. Details: https://dashboard.example.com/#/alerts"
    assert len(digest.sms) <= 160
