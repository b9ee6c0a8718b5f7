"""Accounts on the portal: sign up by emailed link, throttled login, safe redirects,
logout, password reset, profile and time zones; CSRF on every form."""

import re
import zoneinfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import guest_user_get_or_create
from tests.support.factories import UserFactory
from tickets.services import ticket_submit

PASSWORD = "a-long-enough-password-42"


def link_in(message, pattern=r"https?://\S+?(/accounts/\S+/)"):
    return re.search(pattern, message.body).group(1)


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    """A client whose POSTs run their on-commit callbacks (the account emails), as the
    commit at the end of a real request would."""
    post = client.post

    def committed_post(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    client.post = committed_post
    return client


def sign_up(client, email="pam@example.com", name="Pam Beesly"):
    mail.outbox.clear()
    return client.post("/accounts/signup/", {"email": email, "display_name": name})


def confirm(client, link, password=PASSWORD, name="Pam Beesly"):
    return client.post(
        link,
        {"display_name": name, "new_password1": password, "new_password2": password},
    )


# Sign up -------------------------------------------------------------------------------


def test_a_new_address_gets_a_link_and_becomes_an_account_on_confirming(client, db):
    response = sign_up(client)

    assert response["Location"] == "/accounts/signup/done/"
    [message] = mail.outbox
    assert message.to == ["pam@example.com"] and "Confirm your email" in message.subject
    user = User.objects.get(email="pam@example.com")
    assert not user.has_usable_password() and user.email_confirmed_at is None

    response = confirm(client, link_in(message))

    assert response.status_code == 302 and response["Location"] == "/tickets/"
    user.refresh_from_db()
    assert user.has_usable_password() and user.email_confirmed_at is not None
    assert client.get("/tickets/").status_code == 200  # logged in


def test_a_guest_who_signs_up_sees_the_tickets_sent_before(client, desk):
    ticket = ticket_submit(
        name="Pam", email="pam@example.com", help_topic=desk.topic, subject="Old", body="b"
    )

    sign_up(client, email="PAM@example.com")
    confirm(client, link_in(mail.outbox[0]))

    html = client.get("/tickets/").content.decode()
    assert f"#{ticket.number}" in html and "Old" in html


def test_signing_up_with_a_taken_address_reveals_nothing_and_changes_nothing(client, db):
    owner = UserFactory(email="jim@example.com", display_name="Jim")
    password_hash = owner.password

    response = sign_up(client, email="jim@example.com", name="Mallory")

    assert response["Location"] == "/accounts/signup/done/"
    [message] = mail.outbox
    assert "already have" in message.subject and message.to == ["jim@example.com"]
    owner.refresh_from_db()
    assert (owner.password, owner.display_name) == (password_hash, "Jim")


def test_the_confirmation_link_works_once(client, db):
    sign_up(client)
    link = link_in(mail.outbox[0])
    confirm(client, link)

    again = Client().get(link)

    assert again.status_code == 400
    assert b"no longer works" in again.content


def test_a_forged_or_foreign_link_does_not_confirm(client, db):
    victim = guest_user_get_or_create(email="victim@example.com")
    sign_up(client)
    link = link_in(mail.outbox[0])
    uid, token = link.strip("/").split("/")[-2:]
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    other_uid = urlsafe_base64_encode(force_bytes(victim.pk))
    for bad in [f"/accounts/confirm/{other_uid}/{token}/", f"/accounts/confirm/{uid}/x-y/"]:
        assert confirm(Client(), bad).status_code == 400
    victim.refresh_from_db()
    assert not victim.has_usable_password()


def test_a_reset_token_cannot_confirm_a_sign_up(client, db):
    user = guest_user_get_or_create(email="pam@example.com")
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)

    assert confirm(client, f"/accounts/confirm/{uid}/{token}/").status_code == 400


def test_weak_passwords_are_refused_with_a_clear_error(client, db):
    sign_up(client)

    response = confirm(client, link_in(mail.outbox[0]), password="12345678")

    assert response.status_code == 200
    assert b"This password is too common." in response.content
    assert not User.objects.get(email="pam@example.com").has_usable_password()


def test_sign_up_is_rate_limited(client, db, settings):
    settings.RATE_LIMIT_PER_EMAIL = 1
    sign_up(client)

    response = sign_up(client)

    assert response.status_code == 200 and b"many requests" in response.content
    assert not mail.outbox


# Log in and out --------------------------------------------------------------------------


@pytest.fixture
def jim(db):
    return UserFactory(email="jim@example.com", password=PASSWORD)


def log_in(client, email, password, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def test_login_page_carries_the_site_name(client, db, settings):
    settings.SITE_NAME = "Dunder Mifflin IT"

    html = client.get("/accounts/login/").content.decode()

    assert "<title>Log in · Dunder Mifflin IT</title>" in html
    assert "testserver" not in html


def test_login_is_case_insensitive_and_goes_to_my_tickets(client, jim):
    response = log_in(client, "JIM@example.com", PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/tickets/"


def test_failed_logins_are_throttled_per_email_and_address(client, jim, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = log_in(client, "jim@example.com", "wrong")
        assert b"do not match" in response.content

    response = log_in(client, "jim@example.com", PASSWORD)  # even the right password

    assert response.status_code == 200
    assert b"Too many failed attempts" in response.content
    # The owner can still log in from elsewhere.
    assert log_in(Client(REMOTE_ADDR="10.1.1.1"), "jim@example.com", PASSWORD).status_code == 302


def test_a_success_resets_the_failure_count(client, jim, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    log_in(client, "jim@example.com", "wrong")
    assert log_in(client, "jim@example.com", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    log_in(client, "jim@example.com", "wrong")
    assert log_in(client, "jim@example.com", PASSWORD).status_code == 302


def test_a_guest_without_password_cannot_log_in(client, db):
    guest_user_get_or_create(email="guest@example.com")
    assert log_in(client, "guest@example.com", "").status_code == 200
    assert log_in(client, "guest@example.com", "anything").status_code == 200


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/tickets/new/", "/tickets/new/"),
        ("https://evil.example/", "/tickets/"),
        ("//evil.example/", "/tickets/"),
        ("/\\evil.example", "/tickets/"),
        ("javascript:alert(1)", "/tickets/"),
        ("http://testserver.evil.example/", "/tickets/"),
    ],
)
def test_login_redirects_only_to_this_site(client, jim, next_url, expected):
    response = client.post(
        "/accounts/login/",
        {"username": "jim@example.com", "password": PASSWORD, "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == expected


def test_logout_is_a_post(client, jim):
    client.force_login(jim)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response["Location"] == "/"
    assert client.get("/tickets/").status_code == 302


# Password reset --------------------------------------------------------------------------


def test_password_reset_by_email(client, jim):
    mail.outbox.clear()
    response = client.post("/accounts/password-reset/", {"email": "jim@example.com"})
    assert response["Location"] == "/accounts/password-reset/done/"
    [message] = mail.outbox
    link = link_in(message)

    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another-long-password-7", "new_password2": "another-long-password-7"},
    )

    assert response["Location"] == "/accounts/reset/done/"
    assert log_in(Client(), "jim@example.com", "another-long-password-7").status_code == 302


def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, db):
    mail.outbox.clear()
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})

    assert response["Location"] == "/accounts/password-reset/done/"
    assert not mail.outbox


def test_reset_for_a_guest_sends_the_sign_up_link(client, db):
    guest_user_get_or_create(email="guest@example.com")
    mail.outbox.clear()

    client.post("/accounts/password-reset/", {"email": "guest@example.com"})

    [message] = mail.outbox
    assert "/accounts/confirm/" in message.body


# Profile and time zones ------------------------------------------------------------------


def test_profile_sets_display_name_and_time_zone(client, jim):
    client.force_login(jim)

    response = client.post(
        "/accounts/profile/", {"display_name": "Jim H.", "time_zone": "Asia/Tokyo"}
    )

    assert response["Location"] == "/accounts/profile/"
    jim.refresh_from_db()
    assert (jim.display_name, jim.time_zone) == ("Jim H.", "Asia/Tokyo")


def test_an_unknown_time_zone_is_a_form_error(client, jim):
    client.force_login(jim)

    response = client.post(
        "/accounts/profile/", {"display_name": "J", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    jim.refresh_from_db()
    assert jim.time_zone == "UTC"


def test_an_agent_switches_the_weekly_report_email_off_and_on(client, desk):
    manager = desk.manager.user
    client.force_login(manager)
    assert "Weekly report email" in client.get("/accounts/profile/").content.decode()
    form = {"display_name": "Kevin", "time_zone": "UTC"}
    client.post("/accounts/profile/", form)  # an unticked box is not sent: off
    manager.refresh_from_db()
    assert manager.weekly_report_email is False
    client.post("/accounts/profile/", {**form, "weekly_report_email": "on"})
    manager.refresh_from_db()
    assert manager.weekly_report_email is True


def test_a_requesters_profile_does_not_offer_the_weekly_report(client, jim):
    client.force_login(jim)
    assert "Weekly report email" not in client.get("/accounts/profile/").content.decode()
    client.post("/accounts/profile/", {"display_name": "Jim", "time_zone": "UTC"})
    jim.refresh_from_db()
    assert jim.weekly_report_email is True  # left as it was


def test_profile_needs_login(client):
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_pages_show_times_in_the_viewers_zone(client, desk):
    desk.requester.time_zone = "Asia/Tokyo"
    desk.requester.save()
    ticket = desk.ticket()
    client.force_login(desk.requester)

    html = client.get(f"/tickets/{ticket.number}/").content.decode()

    local = timezone.localtime(ticket.created_at, zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%-I:%M") in html and "JST" in html


# CSRF on every account form --------------------------------------------------------------


def test_csrf_is_enforced_on_every_account_form(jim, desk):
    client = Client(enforce_csrf_checks=True)
    posts = {
        "/accounts/login/": {"username": "jim@example.com", "password": PASSWORD},
        "/accounts/signup/": {"email": "new@example.com", "display_name": "New"},
        "/accounts/password-reset/": {"email": "jim@example.com"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert not User.objects.filter(email="new@example.com").exists()

    client.force_login(jim)
    assert (
        client.post("/accounts/profile/", {"display_name": "X", "time_zone": "UTC"}).status_code
        == 403
    )
    assert client.post("/accounts/logout/").status_code == 403
    jim.refresh_from_db()
    assert jim.display_name != "X"

    ticket = desk.ticket()
    client.force_login(desk.requester)
    for action in ("reply/", "solved/"):
        response = client.post(f"/tickets/{ticket.number}/{action}", {"body": "x"})
        assert response.status_code == 403, action
    ticket.refresh_from_db()
    assert (ticket.status, ticket.entries.count()) == ("open", 1)
