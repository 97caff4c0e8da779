"""The stream handler's cold start: what it builds once and keeps for the life of the execution environment."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from alerts.handlers import stream

pytestmark = pytest.mark.unit


def test_the_cold_starts_objects_are_left_out_of_garbage_collections_once_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full collection would otherwise walk every module, client and service model again (about a tenth of
    the CPU per record); frozen once, on the first build (a rebuilt service freezes nothing more)."""
    built: list[Any] = []
    monkeypatch.setattr(stream.AlertSettings, "from_env", classmethod(lambda cls: "settings"))
    monkeypatch.setattr(stream, "Clients", lambda: "clients")
    monkeypatch.setattr(stream, "build_alert_service", lambda settings, clients: built.append(object()) or built[-1])
    stream.alert_service.cache_clear()
    stream.freeze_cold_start.cache_clear()
    gc.unfreeze()
    try:
        service = stream.alert_service()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert stream.alert_service() is service  # kept
        stream.alert_service.cache_clear()
        made_since = [[index] for index in range(10)]  # objects a second freeze would take
        assert stream.alert_service() is not service
        assert gc.get_freeze_count() == frozen  # nothing more frozen
        del made_since
    finally:
        stream.alert_service.cache_clear()
        gc.unfreeze()
