"""Unit tests of the API's routes run without AWS: the session check and the per-user throttle let
every caller through as their claims say (its own behaviour is tested in test_sessions.py)."""

from __future__ import annotations

import pytest


class OpenGate:
    """Stands in for the access gate: no revocations, and admins count as MFA-enrolled."""

    def admit(self, caller: object) -> object:
        return caller


class OpenThrottle:
    """Stands in for the per-user throttle: every request allowed (tested in test_throttle.py)."""

    def admit(self, *_: object) -> None:
        return None


@pytest.fixture(autouse=True)
def open_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard_api.handlers import context

    monkeypatch.setattr(context, "access_gate", OpenGate)
    monkeypatch.setattr(context, "throttle", OpenThrottle)
