"""Self-service in the dashboard, in headless Chromium against the local stack: Notify me (alert
subscriptions, checked on the SNS subscription's filter policy in the emulator), head office's People
page (checked on the Cognito user pool), and what the page does with the API's session answers
(401 ``session_revoked``, 403 ``mfa_required``).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import boto3
import pytest
from dashboard_api.logic.sessions import REVOCATION_TTL_SECONDS
from playwright.sync_api import Page, Route, expect

from tests.e2e import dashboard_kit as kit

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

#: What the page says when the API answers 401 session_revoked (dashboard/js/api.js).
REVOKED = "You were signed out because head office changed or ended your access. Please sign in again."


def sns_subscription(stack: dict[str, Any], endpoint: str) -> dict[str, str] | None:
    """The SNS subscription of this address on the alerts topic, with its attributes, or None."""
    client = boto3.client("sns", endpoint_url=stack["endpoint_url"], region_name=stack["region"])
    for subscription in client.list_subscriptions_by_topic(TopicArn=stack["topic_arn"])["Subscriptions"]:
        if subscription["Endpoint"] == endpoint:
            arn = subscription["SubscriptionArn"]
            return dict(client.get_subscription_attributes(SubscriptionArn=arn)["Attributes"])
    return None


def cognito_user(stack: dict[str, Any], username: str) -> dict[str, Any]:
    return dict(kit.cognito(stack).admin_get_user(UserPoolId=stack["user_pool_id"], Username=username))


def stores_attribute(user: dict[str, Any]) -> list[str]:
    value = next((a["Value"] for a in user["UserAttributes"] if a["Name"] == "custom:stores"), "[]")
    return sorted(json.loads(value))


# ---------------------------------------------------------------- Notify me


def test_a_manager_subscribes_to_their_store_by_email_sees_it_and_removes_it(page: Page, stack: dict[str, Any]) -> None:
    store, manager = kit.store_of_its_own(stack, "Notify")
    address = f"{manager['username']}@example.com"
    kit.sign_in(page, stack, manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notify me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notify me")
    expect(page.get_by_text("You have no alert subscriptions yet.")).to_be_visible()

    # Text messages are offered: the local stack's config.json says the stage can send them (smsEnabled)
    protocols = page.get_by_role("group", name="Send alerts by").get_by_role("radio")
    expect(protocols).to_have_count(2)
    expect(page.get_by_role("radio", name="Text message (SMS)")).to_be_visible()

    # The severities offered are the API's own (its OpenAPI enum), the manager's one store is chosen
    severities = page.get_by_role("group", name="Alerts about").get_by_role("checkbox")
    expect(severities).to_have_count(4)
    stores = page.get_by_role("group", name="Stores").get_by_role("checkbox")
    expect(stores).to_have_count(1)
    expect(page.get_by_role("checkbox", name=store)).to_be_checked()

    # A bad address: the API's own message, next to the form
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("alert")).to_contain_text("'not-an-address' is not an email address")

    # Out of stock and running out soon, by email
    page.get_by_label("Email address").fill(address)
    page.get_by_role("checkbox", name="Low stock").uncheck()
    page.get_by_role("button", name="Subscribe").click()
    card = page.locator("li.subscription").filter(has_text=address)
    expect(card).to_have_count(1)
    expect(card.locator(".sub-stores")).to_have_text(store)
    expect(card.locator(".sub-severities")).to_have_text("Out of stock, Runs out soon (forecast)")
    # The status is SNS's: the emulator confirms at once (AWS keeps an email pending until its link is followed)
    status, listed = kit.api_call(stack, kit.id_token(stack, manager), "GET", "/subscriptions")
    assert status == 200, listed
    assert listed is not None
    (mine,) = listed["subscriptions"]
    expect(card.locator(".badge")).to_have_text(
        {"pending_confirmation": "Pending confirmation"}.get(mine["status"], "Confirmed")
    )

    # The SNS subscription itself holds exactly the chosen stores and severities
    attributes = sns_subscription(stack, address)
    assert attributes is not None, "no SNS subscription for the address"
    policy = json.loads(attributes["FilterPolicy"])
    assert {key: sorted(values) for key, values in policy.items()} == {"store": [store], "severities": ["out", "soon"]}
    kit.shoot(page, "notify", full_page=True)

    # Removing asks first; cancelling keeps it
    card.get_by_role("button", name=re.compile("^Remove")).click()
    card.get_by_role("button", name="Cancel").click()
    expect(card).to_have_count(1)
    card.get_by_role("button", name=re.compile("^Remove")).click()
    card.get_by_role("button", name="Yes, remove it").click()
    expect(page.get_by_text(f"Removed the subscription of {address}.")).to_be_visible()
    expect(page.locator("li.subscription")).to_have_count(0)
    assert sns_subscription(stack, address) is None, "the SNS subscription is still there"


def subscribe_a_phone_and_enter_the_code(tab: Page, stack: dict[str, Any], prefix: str) -> tuple[str, Any]:
    """A manager asks for texts to a new number on Notify me, enters a wrong code, then the code texted to
    the number (read from the emulator); the number is subscribed only then. Returns (number, its card)."""
    store, manager = kit.store_of_its_own(stack, prefix)
    number = f"+49151{uuid.uuid4().int % 10**8:08d}"
    kit.sign_in(tab, stack, manager, path="#/notify")
    expect(tab.get_by_role("checkbox", name=store)).to_be_checked()  # the form is ready
    tab.get_by_label("Text message (SMS)").check()
    tab.get_by_label("Phone number").fill(number)
    tab.get_by_role("button", name="Subscribe").click()

    card = tab.locator("li.subscription").filter(has_text=number)
    expect(card.locator(".badge")).to_have_text("Waiting for the code")
    code_field = card.get_by_label("Code from the text message")
    expect(code_field).to_be_focused()
    expect(tab.get_by_text(f"We texted a code to {number}.")).to_be_visible()
    expect(card.get_by_role("button", name="Text me a new code")).to_be_disabled()  # one a minute
    assert sns_subscription(stack, number) is None, "the number was subscribed before its code was entered"
    code = kit.texted_code(stack, number)
    (text,) = kit.texts_to(stack, number)
    assert text.startswith(f"Your inventory alerts code is {code}."), text

    code_field.fill("12345")
    card.get_by_role("button", name="Confirm").click()
    expect(card.get_by_role("alert")).to_have_text("Enter the 6 digits of the code from the text message.")
    code_field.fill("000000" if code != "000000" else "111111")
    card.get_by_role("button", name="Confirm").click()
    expect(card.get_by_role("alert")).to_have_text("that is not the code; 4 tries left")
    expect(code_field).to_be_focused()
    assert sns_subscription(stack, number) is None
    return number, card


def test_a_manager_proves_their_phone_number_with_the_texted_code(page: Page, stack: dict[str, Any]) -> None:
    number, card = subscribe_a_phone_and_enter_the_code(page, stack, "Texted")

    # The page forgets when it asked (another view and back): the API still refuses a second code within the minute
    main = page.get_by_role("navigation", name="Main")
    main.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Notify me")
    main.get_by_role("link", name="Notify me").click()
    card = page.locator("li.subscription").filter(has_text=number)
    expect(card.get_by_role("button", name="Text me a new code")).to_be_enabled()
    card.get_by_role("button", name="Text me a new code").click()
    expect(card.get_by_role("alert")).to_contain_text("a code was texted less than a minute ago; try again in")
    expect(card.get_by_role("button", name="Text me a new code")).to_be_disabled()
    assert len(kit.texts_to(stack, number)) == 1

    card.get_by_label("Code from the text message").fill(kit.texted_code(stack, number))
    card.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_text(re.compile(f"^Confirmed {re.escape(number)}: alerts of .* will be texted to it.$"))
    ).to_be_visible()
    card = page.locator("li.subscription").filter(has_text=number)
    expect(card.locator(".badge")).to_have_text("Confirmed")
    expect(card.get_by_label("Code from the text message")).to_have_count(0)
    attributes = sns_subscription(stack, number)
    assert attributes is not None, "no SNS subscription for the number once its code was entered"
    assert attributes["Protocol"] == "sms"


def test_entering_the_texted_code_fits_a_phone(phone: Page, stack: dict[str, Any]) -> None:
    number, card = subscribe_a_phone_and_enter_the_code(phone, stack, "PhoneCode")
    assert phone.evaluate("document.documentElement.scrollWidth") <= kit.PHONE["width"], kit.overflowing(
        phone, kit.PHONE["width"]
    )
    kit.shoot(phone, "notify-code-phone", full_page=True)

    card.get_by_label("Code from the text message").fill(kit.texted_code(stack, number))
    card.get_by_role("button", name="Confirm").click()
    expect(phone.locator("li.subscription").filter(has_text=number).locator(".badge")).to_have_text("Confirmed")


def test_subscribe_waits_for_the_stores_to_choose_from(page: Page, stack: dict[str, Any]) -> None:
    """Pressed before its choices arrive, the form said "Choose at least one store." beside a ticked store."""
    store, manager = kit.store_of_its_own(stack, "NotifyWait")
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(re.compile(r"/api/openapi\.json$"), hold)
    kit.sign_in(page, stack, manager, path="#/notify")
    subscribe = page.get_by_role("button", name="Subscribe")

    expect(subscribe).to_be_disabled()
    page.get_by_label("Email address").fill(f"{manager['username']}@example.com")
    expect(subscribe).to_be_disabled()
    while not held:  # the handler runs while Playwright waits
        page.wait_for_timeout(50)
    held[0].continue_()

    expect(page.get_by_role("checkbox", name=store)).to_be_checked()
    expect(subscribe).to_be_enabled()
    subscribe.click()
    expect(page.locator("li.subscription").filter(has_text=f"{manager['username']}@example.com")).to_have_count(1)


def test_a_pending_subscription_says_so_and_head_office_sees_everyones(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    """SNS keeps an email pending until its link is followed; the emulator confirms at once, so the list
    the API answers is rewritten here to show how the page presents a pending one. Head office's "everyone"
    listing is the API's real answer."""
    store, manager = kit.store_of_its_own(stack, "Everyone")
    address = f"{manager['username']}@example.com"
    status, created = kit.api_call(
        stack,
        kit.id_token(stack, manager),
        "POST",
        "/subscriptions",
        {"protocol": "email", "endpoint": address, "stores": [store], "severities": ["out"]},
    )
    assert status == 201, created

    def pending(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        for subscription in body["subscriptions"]:
            subscription["status"] = "pending_confirmation"
        route.fulfill(response=response, json=body)

    kit.sign_in(page, stack, admin, path="#/notify")
    page.get_by_label(re.compile(r"^Show everyone.s subscriptions$")).check()
    card = page.locator("li.subscription").filter(has_text=address)
    expect(card.locator(".sub-owner")).to_have_text(manager["username"])
    expect(card.locator(".badge")).to_have_text("Confirmed")

    page.route(re.compile(r"/api/subscriptions\?all=true"), pending)
    page.locator("#refresh-now").click()
    expect(card.locator(".badge")).to_have_text("Pending confirmation")
    expect(card).to_contain_text("Follow the link sent to this address")


# ---------------------------------------------------------------- People


def test_head_office_creates_a_person_changes_their_stores_disables_and_deletes_them(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    username = f"ppl-{uuid.uuid4().hex[:8]}"
    kit.sign_in(page, stack, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(page.locator("#view table")).to_have_attribute("aria-busy", "false")

    page.get_by_label("Username").fill(username)
    page.get_by_label("Email address").fill(f"{username}@example.com")
    page.locator("#new-stores").fill("Lahore\nSão Paulo, Centro\nBerlin\n")
    # Stores no file has named yet are pointed out as they are typed (a typo, most likely); Berlin is known
    expect(page.locator("#new-stores-unknown")).to_have_text(
        "No file has named “Lahore”, “São Paulo, Centro” yet: check the spelling."
    )
    page.locator("#new-stores").fill("Lahore\nSão Paulo, Centro\n")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#temporary-password")).not_to_be_empty()
    expect(page.locator("#new-stores-unknown")).to_be_empty()  # the form is empty again
    created = cognito_user(stack, username)
    assert stores_attribute(created) == ["Lahore", "São Paulo, Centro"]
    assert created["Enabled"]
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    kit.shoot(page, "people", full_page=True)

    # Their stores
    page.get_by_role("link", name=username, exact=True).click()
    expect(page.get_by_role("heading", name=username)).to_be_visible()
    page.locator("#edit-stores").fill("Karachi")
    page.get_by_role("button", name="Save access").click()
    expect(page.get_by_role("status").filter(has_text=f"Saved the access of {username}")).to_be_visible()
    expect(page.locator("#person-access")).to_have_text("Karachi")
    assert stores_attribute(cognito_user(stack, username)) == ["Karachi"]

    # Disabled, after a confirmation
    page.get_by_role("button", name="Disable", exact=True).click()
    page.get_by_role("button", name="Yes, disable").click()
    expect(page.locator("#person-status")).to_have_text("Disabled")
    assert not cognito_user(stack, username)["Enabled"]
    page.get_by_role("button", name="Enable", exact=True).click()
    expect(page.locator("#person-status")).not_to_have_text("Disabled")
    assert cognito_user(stack, username)["Enabled"]

    # Deleted, after a confirmation
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_text(f"Deleted {username}")).to_be_visible()
    expect(page.locator("#view table tbody")).not_to_contain_text(username)
    with pytest.raises(Exception, match="UserNotFoundException"):
        cognito_user(stack, username)


def test_a_manager_cannot_reach_the_people_page(page: Page, stack: dict[str, Any]) -> None:
    manager = kit.new_user(stack, stores=("Berlin",))
    kit.sign_in(page, stack, manager)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notify me")).to_be_visible()
    expect(nav.get_by_role("link", name="People")).to_have_count(0)

    kit.go(page, stack, "#/people")
    expect(page.get_by_role("alert")).to_have_text(
        "People is for head office only. Ask head office to change who may see which stores."
    )
    expect(page.locator("#view table")).to_have_count(0)
    status, body = kit.api_call(stack, kit.id_token(stack, manager), "GET", "/users")
    assert status == 403, body


def test_notify_and_people_fit_a_phone(phone: Page, stack: dict[str, Any], admin: dict[str, Any]) -> None:
    kit.sign_in(phone, stack, admin)
    for view in ("notify", "people"):
        kit.go(phone, stack, f"#/{view}")
        phone.wait_for_load_state("networkidle")
        expect(phone.get_by_role("heading", level=1)).to_have_text({"notify": "Notify me", "people": "People"}[view])
        assert phone.evaluate("document.documentElement.scrollWidth") <= kit.PHONE["width"], (
            view,
            kit.overflowing(phone, kit.PHONE["width"]),
        )
        kit.shoot(phone, f"{view}-phone", full_page=True)


# ---------------------------------------------------------------- session answers


def test_a_person_whose_access_head_office_changes_is_signed_out_at_their_next_click(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    manager = kit.new_user(stack, stores=("Berlin",))
    kit.sign_in(page, stack, manager)
    expect(page.locator("#updated-status")).to_contain_text("Updated")

    status, changed = kit.api_call(
        stack, kit.id_token(stack, admin), "PUT", f"/users/{manager['username']}/access", {"stores": ["Karachi"]}
    )
    assert status == 200, changed
    # Each API instance keeps a user's revocation time for up to REVOCATION_TTL_SECONDS.
    page.wait_for_timeout(REVOCATION_TTL_SECONDS * 1000 + 500)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Items").click()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(REVOKED)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_an_admin_the_api_asks_for_two_step_sign_in_is_taken_to_set_it_up(page: Page, stack: dict[str, Any]) -> None:
    """403 ``mfa_required`` (an admin whose authenticator was removed while signed in; the API re-reads a
    user's MFA once a minute) is answered here by the test's stand-in for the API."""
    boss = kit.new_user(stack, admin=True)
    assert kit.sign_in(page, stack, boss) == "enrolment"

    def refuse(route: Route) -> None:
        route.fulfill(
            status=403,
            json={"error": {"status": 403, "code": "mfa_required", "message": "admins must use TOTP MFA"}},
        )

    page.route(re.compile(r"/api/alerts"), refuse)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_text("Head office accounts must use two-step sign-in.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
