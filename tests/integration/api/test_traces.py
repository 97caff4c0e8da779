"""What the X-Ray tracer would record of an API call: never the answer (a new user's temporary password,
their email address). Outside Lambda the handlers get a pass-through tracer (inventory.observability), so
the handler module is loaded again under Powertools' real Tracer, as in Lambda, its provider swapped for
one that keeps everything the handler's segment is given."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import inventory.observability
import pytest
from aws_lambda_powertools import Tracer
from dashboard_api.handlers import api as api_handler

from tests.integration.api.conftest import ADMIN, ApiWorld


class RecordingSubsegment:
    def __init__(self, name: str, records: list[tuple[str, str, Any]]) -> None:
        self.name = name
        self._records = records

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self._records.append(("metadata", f"{namespace}/{key}", value))

    def put_annotation(self, key: str, value: Any) -> None:
        self._records.append(("annotation", key, value))


class RecordingProvider:
    """Stands in for the X-Ray recorder: every subsegment the tracer opens, and what is put on it."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, Any]] = []

    @contextmanager
    def in_subsegment(self, name: str | None = None, **_: Any) -> Iterator[RecordingSubsegment]:
        self.records.append(("subsegment", str(name), None))
        yield RecordingSubsegment(str(name), self.records)

    def patch(self, *_: Any, **__: Any) -> None: ...

    def patch_all(self, *_: Any, **__: Any) -> None: ...


@contextmanager
def recorded_traces() -> Iterator[RecordingProvider]:
    """The API handler decorated, as its source says, by the real Tracer with its public ``provider`` swapped."""
    recorder = RecordingProvider()
    tracer = Tracer()
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setattr(tracer, "provider", recorder)
            monkeypatch.setattr(inventory.observability, "tracer", tracer)
            importlib.reload(api_handler)
            yield recorder
    finally:
        importlib.reload(api_handler)  # back to the tracer the other tests use


def test_a_new_users_temporary_password_and_email_are_answered_but_never_traced(api: ApiWorld) -> None:
    email = "new.manager@example.com"
    with recorded_traces() as traces:
        answer = api.post("/users", ADMIN, {"username": "new-manager", "email": email, "stores": ["Berlin"]})
    assert answer.status == 201, answer.body
    password = answer.body["temporary_password"]
    assert ("subsegment", "## handler", None) in traces.records  # the handler ran under the tracer
    recorded = json.dumps([(kind, key, value) for kind, key, value in traces.records], default=str)
    assert password not in recorded
    assert email not in recorded
    assert not [key for kind, key, _ in traces.records if kind == "metadata"]
