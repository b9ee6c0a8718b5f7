"""A person's sessions on the profile page: listed, ended one by one or all at once;
a password change ends the others; agents' idle sessions expire."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, UserSession
from accounts.sessions import device_label
from accounts.tasks import prune_sessions
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

FIREFOX_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
NEW_PASSWORD = "a-long-enough-password-42"


def signed_in(user, *, ip="198.51.100.4", agent=FIREFOX_WINDOWS, **client_kwargs) -> Client:
    """A browser signed in through the login form (password "pw", the factories')."""
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, **client_kwargs)
    response = client.post("/accounts/login/", {"username": user.email, "password": "pw"})
    assert response.status_code == 302
    return client


def row_of(client) -> UserSession:
    return UserSession.objects.get(session_id=client.session.session_key)


def is_signed_in(client) -> bool:
    return client.get("/accounts/profile/").status_code == 200


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (CHROME_LINUX, "Chrome on Linux"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Edg/126.0", "Edge on macOS"),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_device_labels(agent, label):
    assert device_label(agent) == label


class TestProfileList:
    def test_lists_my_sessions_with_device_address_and_this_one_marked(self):
        jim = UserFactory()
        laptop = signed_in(jim, ip="198.51.100.4", agent=FIREFOX_WINDOWS)
        signed_in(jim, ip="203.0.113.9", agent=SAFARI_IPHONE)
        signed_in(UserFactory(), ip="192.0.2.1", agent=CHROME_LINUX)  # someone else

        html = laptop.get("/accounts/profile/").content.decode()

        assert "Firefox on Windows" in html and "198.51.100.4" in html
        assert "Safari on iPhone" in html and "203.0.113.9" in html
        assert "Chrome on Linux" not in html and "192.0.2.1" not in html
        assert html.count("This session") == 1
        assert html.count('action="/accounts/sessions/') == 2  # the phone's, and "all others"

    def test_expired_sessions_are_not_listed(self):
        jim = UserFactory()
        laptop = signed_in(jim)
        phone = signed_in(jim, agent=SAFARI_IPHONE)
        Session.objects.filter(pk=phone.session.session_key).update(
            expire_date=timezone.now() - datetime.timedelta(minutes=1)
        )

        assert "Safari on iPhone" not in laptop.get("/accounts/profile/").content.decode()


class TestEndingSessions:
    def test_i_end_my_other_session_and_it_is_signed_out_and_recorded(self):
        jim = UserFactory()
        laptop = signed_in(jim)
        phone = signed_in(jim, ip="203.0.113.9", agent=SAFARI_IPHONE)

        response = laptop.post(f"/accounts/sessions/{row_of(phone).pk}/end/")

        assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
        assert not is_signed_in(phone)
        assert is_signed_in(laptop)
        [entry] = AuditEntry.objects.filter(kind="session_ended")
        assert entry.actor == jim and entry.ip_address == "198.51.100.4"
        assert entry.data["count"] == 1
        assert entry.data["sessions"][0]["device"] == "Safari on iPhone"
        assert entry.data["sessions"][0]["ip_address"] == "203.0.113.9"

    def test_nobody_can_end_someone_elses_session(self):
        jim, mallory = UserFactory(), UserFactory()
        jims = signed_in(jim)
        mallorys = signed_in(mallory)

        response = mallorys.post(f"/accounts/sessions/{row_of(jims).pk}/end/")

        assert response.status_code == 404
        assert is_signed_in(jims)
        assert not AuditEntry.objects.filter(kind="session_ended").exists()

    def test_this_session_is_ended_by_logging_out_not_here(self):
        laptop = signed_in(UserFactory())

        assert laptop.post(f"/accounts/sessions/{row_of(laptop).pk}/end/").status_code == 404
        assert is_signed_in(laptop)

    def test_only_signed_in_people_post_with_a_csrf_token(self):
        jim = UserFactory()
        phone = signed_in(jim)
        row = row_of(phone)

        assert Client().post(f"/accounts/sessions/{row.pk}/end/").status_code == 302  # login
        assert phone.get(f"/accounts/sessions/{row.pk}/end/").status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(jim)
        assert strict.post(f"/accounts/sessions/{row.pk}/end/").status_code == 403
        assert strict.post("/accounts/sessions/end-others/").status_code == 403
        assert is_signed_in(phone)

    def test_sign_out_all_other_sessions(self):
        jim = UserFactory()
        laptop, phone, tablet = signed_in(jim), signed_in(jim), signed_in(jim)
        someone_else = signed_in(UserFactory())

        response = laptop.post("/accounts/sessions/end-others/", follow=True)

        assert "Other sessions signed out: 2." in response.content.decode()
        assert is_signed_in(laptop) and is_signed_in(someone_else)
        assert not is_signed_in(phone) and not is_signed_in(tablet)
        assert AuditEntry.objects.get(kind="session_ended").data["count"] == 2


class TestPasswordChange:
    def test_a_password_change_keeps_this_session_and_ends_the_others(self):
        jim = UserFactory()
        laptop, phone = signed_in(jim), signed_in(jim)

        response = laptop.post(
            "/accounts/password/",
            {
                "old_password": "pw",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
            follow=True,
        )

        assert "Other sessions signed out: 1." in response.content.decode()
        assert is_signed_in(laptop) and not is_signed_in(phone)
        jim.refresh_from_db()
        assert jim.check_password(NEW_PASSWORD)
        entry = AuditEntry.objects.get(kind="password_changed")
        assert entry.actor == jim and entry.data == {"sessions_ended": 1}
        # This session carries on under its new key, recorded again.
        assert UserSession.objects.filter(user=jim).count() == 1

    def test_a_wrong_old_password_changes_nothing(self):
        jim = UserFactory()
        laptop, phone = signed_in(jim), signed_in(jim)

        response = laptop.post(
            "/accounts/password/",
            {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

        assert response.status_code == 200
        assert is_signed_in(phone)
        assert not AuditEntry.objects.filter(kind="password_changed").exists()

    def test_the_profile_links_to_the_password_page(self):
        html = signed_in(UserFactory()).get("/accounts/profile/").content.decode()

        assert 'href="/accounts/password/"' in html


class TestActivity:
    def test_last_seen_is_written_at_most_once_a_minute(self):
        laptop = signed_in(UserFactory())
        first = row_of(laptop).last_seen_at

        with time_machine.travel(timezone.now() + datetime.timedelta(seconds=30)):
            laptop.get("/accounts/profile/")
            assert row_of(laptop).last_seen_at == first
        with time_machine.travel(timezone.now() + datetime.timedelta(seconds=90)):
            laptop.get("/accounts/profile/")
            assert row_of(laptop).last_seen_at > first

    def test_an_idle_agent_is_signed_out_and_a_requester_is_not(self, desk, settings):
        settings.AGENT_SESSION_IDLE_MINUTES = 30
        agent = signed_in(desk.agent.user)
        requester = signed_in(desk.requester)
        later = timezone.now() + datetime.timedelta(minutes=31)

        with time_machine.travel(later):
            response = agent.get("/agent/", follow=True)
            assert "signed out after a while without activity" in response.content.decode()
            assert response.redirect_chain[-1][0].startswith("/accounts/login/")
            assert is_signed_in(requester)

    def test_an_agent_who_keeps_working_stays_signed_in(self, desk, settings):
        settings.AGENT_SESSION_IDLE_MINUTES = 30
        agent = signed_in(desk.agent.user)
        start = timezone.now()

        for minutes in (20, 40, 60):
            with time_machine.travel(start + datetime.timedelta(minutes=minutes)):
                assert agent.get("/agent/").status_code == 200

    def test_the_pages_own_refreshes_do_not_keep_an_idle_agent_signed_in(self, desk, settings):
        settings.AGENT_SESSION_IDLE_MINUTES = 30
        agent = signed_in(desk.agent.user)
        ticket = desk.ticket()
        start = timezone.now()

        for minutes in (10, 20, 29):
            with time_machine.travel(start + datetime.timedelta(minutes=minutes)):
                poll = agent.get(
                    "/agent/", HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="queue-results"
                )
                assert poll.status_code == 200
                beat = agent.post(
                    f"/agent/tickets/{ticket.number}/presence/", HTTP_HX_REQUEST="true"
                )
                assert beat.status_code == 200
        with time_machine.travel(start + datetime.timedelta(minutes=31)):
            poll = agent.get("/agent/", HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="queue-results")

        # htmx loads the login page whole rather than swapping it into the list.
        assert poll.status_code == 204 and poll["HX-Redirect"] == "/accounts/login/"
        assert agent.get("/agent/").status_code == 302

    def test_expired_sessions_and_their_records_are_pruned(self):
        jim = UserFactory()
        signed_in(jim)
        stale = signed_in(jim)
        Session.objects.filter(pk=stale.session.session_key).update(
            expire_date=timezone.now() - datetime.timedelta(seconds=1)
        )

        assert prune_sessions() == 1

        assert UserSession.objects.filter(user=jim).count() == 1
