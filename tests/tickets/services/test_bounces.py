"""tickets.services.ticket_record_bounce and ticket_resume_mail: the system writes the note
and the stop; agents of the department clear it for someone on the ticket."""

import pytest

from accounts.roles import SYSTEM
from tests.support.factories import UserFactory
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import EntryKind, MailSuppression
from tickets.services import DeliveryFailure, ticket_record_bounce, ticket_resume_mail
from tickets.services.bounces import ONLY_THE_MAIL_CHANNEL

FAILED = DeliveryFailure("Jim@Example.com ", True, "5.1.1", "550 5.1.1\x00 User\n unknown")


def test_only_the_system_records_a_bounce(desk):
    ticket = desk.ticket()
    for person in (desk.agent.user, desk.requester, None):
        with pytest.raises(NotPermitted, match=ONLY_THE_MAIL_CHANNEL):
            ticket_record_bounce(ticket=ticket, failures=[FAILED], by=person)
    assert not MailSuppression.objects.exists()


def test_the_note_and_the_stop_are_cleaned(desk):
    ticket = desk.ticket()

    entry = ticket_record_bounce(ticket=ticket, failures=[FAILED], by=SYSTEM)

    assert (entry.kind, entry.author_id, entry.is_public) == (EntryKind.NOTE, None, False)
    assert "The server said: 550 5.1.1 User unknown" in entry.body
    stop = MailSuppression.objects.get()
    assert (stop.address, stop.reason) == ("jim@example.com", "550 5.1.1 User unknown")


def test_a_bounce_names_someone(desk):
    with pytest.raises(InvalidInput):
        ticket_record_bounce(ticket=desk.ticket(), failures=[], by=SYSTEM)


def test_resuming_is_for_agents_of_the_department_and_people_on_the_ticket(desk):
    ticket = desk.ticket()
    ticket_record_bounce(
        ticket=ticket, failures=[DeliveryFailure(desk.requester.email, True)], by=SYSTEM
    )
    for person in (desk.sales_agent.user, desk.requester, None):
        with pytest.raises(NotPermitted):
            ticket_resume_mail(ticket=ticket, user=desk.requester, by=person)
    with pytest.raises(InvalidInput, match="neither the requester nor a collaborator"):
        ticket_resume_mail(ticket=ticket, user=UserFactory(), by=desk.agent.user)
    assert MailSuppression.objects.get().is_active

    assert ticket_resume_mail(ticket=ticket, user=desk.requester, by=desk.agent.user) == 1
    assert ticket_resume_mail(ticket=ticket, user=desk.requester, by=desk.agent.user) == 0
