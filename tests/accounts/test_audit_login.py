"""Sign-ins through the real pages leave audit entries (Django's auth signals)."""

import json
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEntry, UserSession
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password-42"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def browser():
    return Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.4")


def log_in(client, email, password=PASSWORD, url="/accounts/login/"):
    return client.post(url, {"username": email, "password": password})


def entries(kind):
    return list(AuditEntry.objects.filter(kind=kind).order_by("id"))


def test_a_login_is_recorded_with_its_method_address_and_browser():
    jim = UserFactory(email="jim@example.com", password=PASSWORD)

    response = log_in(browser(), "JIM@example.com")

    assert response.status_code == 302
    [entry] = entries("login_succeeded")
    assert (entry.actor, entry.target_id) == (jim, str(jim.pk))
    assert entry.data == {"method": "password"}
    assert (entry.ip_address, entry.user_agent) == ("198.51.100.4", FIREFOX)
    [session] = UserSession.objects.filter(user=jim)
    assert (session.ip_address, session.user_agent) == ("198.51.100.4", FIREFOX)


def test_a_failed_login_keeps_the_email_and_never_the_password():
    UserFactory(email="jim@example.com", password=PASSWORD)

    response = log_in(browser(), "jim@example.com", password="wrong-secret-guess-1")

    assert response.status_code == 200
    [entry] = entries("login_failed")
    assert entry.actor is None
    assert entry.data == {"email": "jim@example.com", "method": "password"}
    assert entry.ip_address == "198.51.100.4"
    stored = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert "wrong-secret-guess-1" not in stored and "*****" not in stored


def test_a_failed_admin_login_is_recorded_too():
    # The admin signs in through the site's own login page (and its second factor).
    client = browser()
    to_login = client.get("/admin/login/?next=/admin/")
    assert to_login.status_code == 302 and to_login["Location"].startswith("/accounts/login/")
    log_in(client, "nobody@example.com", url=to_login["Location"])

    [entry] = entries("login_failed")
    assert entry.data["email"] == "nobody@example.com"


def test_a_logout_is_recorded_and_ends_the_session_record():
    jim = UserFactory(email="jim@example.com", password=PASSWORD)
    client = browser()
    log_in(client, jim.email)

    client.post("/accounts/logout/")

    [entry] = entries("logout")
    assert entry.actor == jim
    assert not UserSession.objects.filter(user=jim).exists()


def test_a_password_reset_is_recorded_when_asked_for_and_when_done(
    django_capture_on_commit_callbacks,
):
    jim = UserFactory(email="jim@example.com", password="old-password-that-was-long")
    elsewhere = browser()
    log_in(elsewhere, jim.email, password="old-password-that-was-long")
    client = browser()

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": "jim@example.com"})
    [asked] = entries("password_reset_requested")
    assert asked.target_id == str(jim.pk) and asked.data["email"] == "jim@example.com"

    link = re.search(r"https?://\S+?(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})

    [done] = entries("password_reset_completed")
    assert (done.actor, done.target_id) == (jim, str(jim.pk))
    assert done.data == {"sessions_ended": 1}
    assert elsewhere.get("/accounts/profile/").status_code == 302  # signed out there


def test_a_reset_asked_for_an_unknown_address_is_recorded_without_a_target():
    browser().post("/accounts/password-reset/", {"email": "ghost@example.com"})

    [asked] = entries("password_reset_requested")
    assert asked.target_type == "" and asked.data == {"email": "ghost@example.com", "known": False}
