"""Single sign-on in Chromium, end to end, against the harness's real OpenID provider
(tests/support/oidc_harness.py): its login form, its tokens, its logout."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.oidc.backend import ACCOUNT_DISABLED, EMAIL_NOT_VERIFIED, NO_ACCOUNT
from accounts.oidc.views import PROVIDER_UNAVAILABLE, SIGN_IN_EXPIRED
from accounts.services import agent_create, department_create, user_create
from tests.support.axe import assert_accessible
from tests.support.oidc_harness import PASSWORD
from tests.support.services import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUTTON = "Sign in with Dunder Mifflin"


def sign_in_at_provider(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name=BUTTON).click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()


def test_a_new_person_signs_in_through_the_provider_as_a_requester(
    page, screenshot, oidc_settings, live_server
):
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name=BUTTON)).to_be_visible()
    expect(page.get_by_label("Email address")).to_be_visible()  # the password form stays
    assert_accessible(page)
    screenshot("login-page")

    sign_in_at_provider(page, "pam")

    expect(page).to_have_url(f"{live_server.url}/tickets/")
    expect(page.get_by_role("link", name="Pam Beesly")).to_be_visible()
    pam = User.objects.get(email="pam.beesly@theoffice.example")
    assert pam.display_name == "Pam Beesly"
    assert not pam.has_usable_password()
    assert pam.email_confirmed_at is not None
    assert not hasattr(pam, "agent")
    screenshot("signed-in")


def test_an_existing_agent_is_matched_by_email_and_lands_in_the_desk(
    page, oidc_settings, live_server
):
    jim = user_create(email="jim.halpert@theoffice.example", display_name="Jim Halpert")
    agent_create(user=jim, departments={department_create(name="IT"): "agent"})

    sign_in_at_provider(page, "jim")  # the provider says Jim.Halpert@TheOffice.example

    expect(page).to_have_url(f"{live_server.url}/agent/")
    expect(page.get_by_role("link", name="Jim Halpert")).to_be_visible()  # his name kept
    assert User.objects.count() == 1


def test_an_address_the_provider_has_not_verified_is_refused(page, oidc_settings, live_server):
    sign_in_at_provider(page, "creed")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(EMAIL_NOT_VERIFIED)
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    assert not User.objects.exists()


def test_a_disabled_account_is_refused(page, oidc_settings, live_server):
    toby = user_create(email="toby@theoffice.example", password="a-long-password-42")
    User.objects.filter(pk=toby.pk).update(is_active=False)

    sign_in_at_provider(page, "toby")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(ACCOUNT_DISABLED)


def test_without_account_creation_an_unknown_person_is_refused(page, oidc_settings, live_server):
    oidc_settings.OIDC_CREATE_USER = False

    sign_in_at_provider(page, "pam")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(
        NO_ACCOUNT.format(email="pam.beesly@theoffice.example")
    )
    assert not User.objects.exists()


def test_logout_ends_the_provider_session_and_a_replayed_callback_is_refused(
    page, screenshot, oidc_settings, live_server
):
    callbacks = []
    page.on(
        "request",
        lambda request: (
            callbacks.append(request.url) if "/oidc/callback/" in request.url else None
        ),
    )
    sign_in_at_provider(page, "pam")
    expect(page.get_by_role("link", name="Pam Beesly")).to_be_visible()

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    # The provider's session ended too: signing in again asks for the password again.
    page.goto("/accounts/login/")
    page.get_by_role("link", name=BUTTON).click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()

    # The callback that signed Pam in, replayed: its state was used once and is gone.
    page.goto(callbacks[0])
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(SIGN_IN_EXPIRED)
    expect(page.get_by_role("link", name="Pam Beesly")).to_have_count(0)
    screenshot("replayed")


def test_a_provider_that_is_down_gives_a_clear_message(page, screenshot, oidc_settings):
    oidc_settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}/o"  # nothing listens

    page.goto("/accounts/login/")
    page.get_by_role("link", name=BUTTON).click()

    expect(page.get_by_role("status")).to_contain_text(PROVIDER_UNAVAILABLE)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot("provider-down")
