"""Who sees what, decided from verified claims only."""

from __future__ import annotations

import json

import pytest
from dashboard_api.handlers.responses import answer_to
from dashboard_api.logic.permissions import (
    caller_from_claims,
    format_stores,
    parse_groups,
    parse_stores,
)
from dashboard_api.models.errors import NotAllowed, NotSignedIn
from hypothesis import given
from hypothesis import strategies as st
from inventory.models import RESERVED_STORE_NAMES

pytestmark = pytest.mark.unit

NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\x1f"), min_size=1, max_size=30
).filter(lambda name: name.strip() == name and name and name not in RESERVED_STORE_NAMES)


@pytest.mark.parametrize(
    ("value", "admin"),
    [
        ("[admin]", True),
        ("[admin managers]", True),
        ("[managers admin]", True),
        ("[managers, admin]", True),
        (["admin"], True),
        ('["admin"]', True),
        ("admin", True),
        ("[administrators]", False),
        ("[Admin]", False),
        ("[notadmin]", False),
        ("", False),
        ("[]", False),
        (None, False),
    ],
)
def test_admin_only_for_the_exact_admin_group_in_any_claim_form(value: object, admin: bool) -> None:
    assert ("admin" in parse_groups(value)) is admin


@pytest.mark.parametrize(
    ("value", "stores"),
    [
        ('["Berlin","São Paulo, Centro"]', ["Berlin", "São Paulo, Centro"]),
        ("Berlin, Karachi", ["Berlin", "Karachi"]),
        ("Berlin", ["Berlin"]),
        ('["Berlin", 7, null]', ["Berlin"]),
        ('["Berlin", ', []),  # malformed: nothing rather than a guess
        ('{"Berlin": true}', []),
        ("", []),
        (None, []),
        (["Berlin"], ["Berlin"]),
        (json.dumps(["Berlin", "x" * 201, "Bad\u0000Name", " "]), ["Berlin"]),
    ],
)
def test_stores_attribute_forms(value: object, stores: list[str]) -> None:
    assert parse_stores(value) == stores


@given(st.lists(NAMES, max_size=8))
def test_the_admin_command_format_round_trips_any_names(names: list[str]) -> None:
    assert parse_stores(format_stores(names)) == sorted(set(names))


def test_format_refuses_more_than_cognito_holds() -> None:
    with pytest.raises(ValueError, match="2048"):
        format_stores([f"Store {n:04d}" for n in range(300)])


def test_no_claims_or_no_subject_is_unauthorized() -> None:
    for claims in (None, {}, {"cognito:groups": "[admin]"}, {"sub": ""}):
        with pytest.raises(NotSignedIn):
            caller_from_claims(claims)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "claims",
    [
        # A Cognito access token as the authorizer passes it on: no aud, client_id, groups, no custom:stores.
        {"sub": "s1", "token_use": "access", "client_id": "c", "cognito:groups": "[admin]", "username": "anna"},
        {"sub": "s1", "cognito:groups": "[admin]"},  # no token_use at all: not a Cognito ID token
    ],
)
def test_only_id_tokens_are_accepted_and_the_refusal_says_which_token_to_send(claims: dict[str, str]) -> None:
    with pytest.raises(NotSignedIn) as refused:
        caller_from_claims(claims)

    assert answer_to(refused.value).code == "id_token_required"
    assert "ID token" in refused.value.message


def test_manager_may_see_only_assigned_stores() -> None:
    caller = caller_from_claims({"sub": "s1", "token_use": "id", "custom:stores": json.dumps(["Berlin"])})

    assert not caller.admin
    assert caller.visible(["Berlin", "Karachi", "berlin"]) == ["Berlin"]
    caller.require("Berlin")
    with pytest.raises(NotAllowed):
        caller.require("Karachi")


def test_admin_sees_every_store_whatever_the_stores_attribute() -> None:
    caller = caller_from_claims(
        {"sub": "s1", "token_use": "id", "cognito:groups": "[admin]", "custom:stores": '["Berlin"]'}
    )

    assert caller.visible(["Berlin", "Karachi"]) == ["Berlin", "Karachi"]
    caller.require("Karachi")
