"""Logic and models raise errors named for what went wrong; the edge alone decides how each is
answered over HTTP (status, code, message, headers), from one table."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from dashboard_api.handlers import stores
from dashboard_api.handlers.api import handler
from dashboard_api.handlers.responses import ANSWERS
from dashboard_api.models import errors
from dashboard_api.models.errors import (
    DomainError,
    EndpointTaken,
    FileTooLarge,
    InvalidCursor,
    InvalidInput,
    NotAllowed,
    NotSignedIn,
    StateConflict,
    TooManyRequests,
    Unavailable,
    Unknown,
)

from tests.builders import LambdaContext, api_claims, api_event

pytestmark = pytest.mark.unit

MANAGER = api_claims("berlin-manager", stores=["Berlin"])

#: What a client receives for each domain error: the dashboard and scripts read these codes.
ON_THE_WIRE: list[tuple[DomainError, int, str]] = [
    (InvalidInput("`from` is after `to`"), 400, "bad_request"),
    (InvalidInput("the store name is empty", "invalid_name"), 400, "invalid_name"),
    (InvalidCursor("the cursor is malformed"), 400, "invalid_cursor"),
    (NotSignedIn("a valid token is required"), 401, "unauthorized"),
    (NotSignedIn("sign in again", "session_revoked"), 401, "session_revoked"),
    (NotAllowed("you do not have access to this store"), 403, "forbidden"),
    (NotAllowed("enrol MFA", "mfa_required"), 403, "mfa_required"),
    (Unknown("no such store"), 404, "not_found"),
    (StateConflict("not waiting for confirmation", "not_held"), 409, "not_held"),
    (EndpointTaken("this address is subscribed already", "ravi", "x"), 409, "already_subscribed"),
    (FileTooLarge("the file is 60,000,000 bytes"), 413, "file_too_large"),
    (TooManyRequests("too many requests from you; try again in 7 s", 7), 429, "too_many_requests"),
    (Unavailable("the Inventory table could not be read; try again shortly"), 503, "unavailable"),
    (Unavailable("the alerts topic is full", "quota_reached"), 503, "quota_reached"),
]


def domain_errors() -> set[type[DomainError]]:
    return {
        member
        for _, member in inspect.getmembers(errors, inspect.isclass)
        if issubclass(member, DomainError) and member is not DomainError
    }


def answered(error: Exception, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The Lambda's answer to ``GET /stores`` when the logic raises ``error``."""

    def refuse() -> Any:
        raise error

    monkeypatch.setattr(stores, "dashboard", refuse)
    return handler(api_event("/stores", claims=MANAGER), LambdaContext())


def test_every_domain_error_class_has_exactly_one_row_in_the_edges_table() -> None:
    assert set(ANSWERS) == domain_errors()
    assert {type(error) for error, _, _ in ON_THE_WIRE} == domain_errors()  # each one's answer is pinned below


def test_the_domain_errors_carry_no_http_status_or_code() -> None:
    kinds: list[type[DomainError]] = [DomainError, *domain_errors()]
    for kind in kinds:
        assert not {"status", "status_code", "code"} & {name for klass in kind.__mro__ for name in vars(klass)}


@pytest.mark.parametrize(("error", "status", "code"), ON_THE_WIRE, ids=[code for _, _, code in ON_THE_WIRE])
def test_each_domain_error_is_answered_with_its_status_code_and_message(
    error: DomainError, status: int, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = answered(error, monkeypatch)

    assert response["statusCode"] == status
    assert response["body"] == json.dumps(
        {"error": {"status": status, "code": code, "message": error.message}}, ensure_ascii=False
    )
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    assert response["headers"].get("Retry-After") == ("7" if status == 429 else None)


def test_a_domain_error_the_table_lacks_is_answered_as_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unmapped(DomainError):
        pass

    response = answered(Unmapped("details for nobody", "secret_reason"), monkeypatch)

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {
        "error": {"status": 500, "code": "internal_error", "message": "the request failed; it has been logged"}
    }
