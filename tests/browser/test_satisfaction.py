"""A satisfaction survey in a real browser: Jim opens the Good link from his email, the
page shows his choice without recording it, he confirms with a comment, and Ryan sees the
rating on the ticket page. Pages checked by axe-core and photographed."""

import datetime

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.test_agent_desk import login, person
from tests.support.axe import assert_accessible
from tests.support.surveys import survey_links
from tickets.models import SatisfactionSurvey
from tickets.outbox import notifications_send_pending
from tickets.services import satisfaction_surveys_send_due, ticket_claim, ticket_resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clicking_good_and_confirming_records_the_rating(
    page, live_server, screenshot, crm, settings
):
    settings.SATISFACTION_SURVEY_DELAY = datetime.timedelta(0)
    ryan = person("Ryan Howard")
    ticket_claim(ticket=crm, by=ryan)
    ticket_resolve(ticket=crm, by=ryan)
    mail.outbox.clear()
    assert satisfaction_surveys_send_due() == 1
    notifications_send_pending()  # (sent already, eagerly, when the pass committed)
    (email,) = [m for m in mail.outbox if "How did we do?" in m.subject]
    links = survey_links(email.body)

    page.goto(links["good"])
    expect(page.get_by_role("heading", name="How did we do with “CRM is down”?")).to_be_visible()
    expect(page.get_by_label("Good")).to_be_checked()
    survey = SatisfactionSurvey.objects.get(ticket=crm)
    assert survey.rating == ""  # opening the link recorded nothing
    assert_accessible(page)
    screenshot("confirm")

    page.get_by_label("Anything to add? (optional)").fill("Ryan fixed it in ten minutes.")
    page.get_by_role("button", name="Confirm my rating").click()
    expect(page.get_by_text("Thank you! Your rating is saved.")).to_be_visible()
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == ("good", "Ryan fixed it in ten minutes.")
    screenshot("thanks")

    login(page, live_server, ryan)
    page.goto(f"/agent/tickets/{crm.number}/")
    aside = page.locator("section", has=page.locator("#satisfaction-heading"))
    expect(aside.get_by_text("Good", exact=True)).to_be_visible()
    expect(aside.get_by_text("Ryan fixed it in ten minutes.")).to_be_visible()
    assert_accessible(page)
    screenshot("agent")

    page.goto("/agent/reports/satisfaction/")
    expect(page.locator("#csat-total")).to_have_text("100%")
    assert_accessible(page)
    screenshot("csat")
