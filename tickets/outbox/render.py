"""Rendering an outbox row into an email: subject, text and HTML from templates/emails/."""

import secrets

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from tickets.models import Notification, SatisfactionSurvey, Task
from tickets.surveys import survey_token

# Above the text of every email about a ticket: what someone types above it, in a reply by
# email, is their answer; the rest is quoted history (mail.parsing splits it there).
REPLY_ABOVE_MARKER = "##- Please type your reply above this line -##"

REQUESTER_KINDS = frozenset(
    {
        Notification.Kind.REQUESTER_ACKNOWLEDGEMENT,
        Notification.Kind.REQUESTER_REPLY,
        Notification.Kind.REQUESTER_RESOLVED,
        Notification.Kind.REQUESTER_NEW_LINK,
        Notification.Kind.SATISFACTION_SURVEY,
    }
)


# Emails a person wrote (an agent's reply) go out as they are; the others are the help
# desk's own, and say so, so that auto-responders do not answer them (RFC 3834).
HUMAN_KINDS = frozenset({Notification.Kind.REQUESTER_REPLY})
AUTOMATIC_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def new_message_id() -> str:
    """A Message-ID for an email of ours: 192 random bits, so it cannot be guessed."""
    return f"<{secrets.token_urlsafe(24)}@{_domain()}>"


def requester_thread_root(notification: Notification) -> str | None:
    """The Message-ID of the first email the requester got about this ticket (the
    acknowledgement, usually): later ones refer to it, so mail clients thread them. None
    for that first email itself."""
    return (
        Notification.objects.filter(
            ticket_id=notification.ticket_id,
            kind__in=REQUESTER_KINDS,
            message_id__isnull=False,
            created_at__lte=notification.created_at,
        )
        .exclude(pk=notification.pk)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
        .first()
    )


def requester_ticket_url(ticket) -> str:
    """Where the requester follows the ticket: the portal page for someone with an account,
    the private access link for a guest (who has no password to sign in with)."""
    if ticket.requester.has_usable_password():
        path = reverse("portal:ticket", kwargs={"number": ticket.number})
    else:
        path = reverse(
            "portal:ticket_access", kwargs={"number": ticket.number, "key": ticket.access_key}
        )
    return f"{settings.SITE_URL}{path}"


def render_notification(notification: Notification) -> EmailMultiAlternatives:
    """The email for one notification: subject, text and HTML from templates/emails/."""
    ticket = notification.ticket
    context = {
        "notification": notification,
        "ticket": ticket,
        "recipient": notification.recipient,
        "event": notification.event,
        "site_name": settings.SITE_NAME,
        "ticket_url": f"{settings.SITE_URL}{reverse('agent:ticket', args=[ticket.number])}",
        "reply_above": REPLY_ABOVE_MARKER,
    }
    if notification.kind == Notification.Kind.TASK_ASSIGNED:
        _add_task(context, notification)
    headers = {"Message-ID": notification.message_id or new_message_id()}
    if ticket.department.email:
        # Answers go to the department's mailbox, and from there into this ticket.
        headers["Reply-To"] = ticket.department.email
    if notification.kind not in HUMAN_KINDS:
        headers.update(AUTOMATIC_HEADERS)
    if notification.kind in REQUESTER_KINDS:
        # The private link is the requester's alone. A collaborator with an account signs
        # in to see the ticket; one without answers by email.
        if notification.recipient_id == ticket.requester_id:
            context["ticket_url"] = requester_ticket_url(ticket)
        elif notification.recipient.has_usable_password():
            path = reverse("portal:ticket", kwargs={"number": ticket.number})
            context["ticket_url"] = f"{settings.SITE_URL}{path}"
        else:
            context["ticket_url"] = ""
        entry = notification.entry
        # Internal notes never reach a requester, whatever row asked for it.
        entry = entry if entry is not None and entry.is_public else None
        context["entry"] = entry
        context["attachments"] = list(entry.attachments.all()) if entry is not None else []
        root = requester_thread_root(notification)
        if root is not None:
            headers["In-Reply-To"] = root
            headers["References"] = root
    if notification.kind == Notification.Kind.SATISFACTION_SURVEY:
        context.update(_survey_links(notification))
    name = f"emails/{notification.kind}"
    subject = " ".join(render_to_string(f"{name}.subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{name}.txt", context),
        to=[notification.recipient.email],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def _add_task(context: dict, notification: Notification) -> None:
    """A task's email names the task (as it is now, if it still exists) and links to "My
    tasks": the assignee may work in a department that cannot open the ticket."""
    task_data = (notification.event.data.get("task") if notification.event else None) or {}
    context["task"] = (
        Task.objects.select_related("department").filter(pk=task_data.get("id")).first()
    )
    context["task_title"] = context["task"].title if context["task"] else task_data.get("name")
    context["tasks_url"] = f"{settings.SITE_URL}{reverse('agent:tasks')}"


def survey_url(survey: SatisfactionSurvey, rating: str = "") -> str:
    """The survey's page, with the choice the link stands for (confirmed there by a POST)."""
    path = reverse("portal:survey", kwargs={"token": survey_token(survey)})
    return f"{settings.SITE_URL}{path}" + (f"?rating={rating}" if rating else "")


def _survey_links(notification: Notification) -> dict:
    survey = SatisfactionSurvey.objects.get(resolution_id=notification.event_id)
    return {
        "survey": survey,
        "survey_good_url": survey_url(survey, "good"),
        "survey_bad_url": survey_url(survey, "bad"),
        "profile_url": f"{settings.SITE_URL}{reverse('accounts:profile')}",
    }


def _domain() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
