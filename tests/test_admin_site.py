"""Every model registered in the admin: its pages open, its searches and filters work."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.utils import timezone

from accounts.audit import AuditKind, audit_record
from accounts.models import Agent, AuditEntry, Department, Organization, User
from accounts.roles import SYSTEM
from accounts.services import agent_set_kb_editor, organization_create, user_set_organization
from api.keys import api_key_create
from api.models import ApiKey, OsTicketMapping
from automation.engine import triggers_run
from automation.models import Rule, RuleEmail, RuleRun
from kb.models import Article, ArticleFeedback, Category
from kb.services import article_create, article_record_feedback
from mail.ledger import inbound_store
from mail.models import InboundMessage, Mailbox
from mail.processing import inbound_process
from sla.models import BusinessCalendar, SLAPlan
from tests.mail.conftest import message
from tests.support.admin_helpers import admin_url
from tests.support.factories import (
    AgentFactory,
    BusinessCalendarFactory,
    CannedResponseFactory,
    DepartmentFactory,
    HelpTopicFactory,
    HolidayFactory,
    SLAPlanFactory,
    UserFactory,
)
from tickets.clocks import sla_sweep
from tickets.models import (
    CannedResponse,
    CustomField,
    FieldChoice,
    HelpTopic,
    HelpTopicField,
    MailSuppression,
    Notification,
    SatisfactionSurvey,
    Tag,
    Task,
    Ticket,
    TimeEntry,
)
from tickets.services import (
    task_create,
    ticket_add_note,
    ticket_add_tag,
    ticket_claim,
    ticket_create,
    ticket_reply,
    ticket_resolve,
)
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_endpoint_settings_check

pytestmark = pytest.mark.django_db

# Models the admin must never offer to add: their rows come from services.
NO_ADD = {
    Ticket,
    Notification,
    SatisfactionSurvey,
    InboundMessage,
    MailSuppression,
    AuditEntry,
    WebhookDelivery,
    WebhookAttempt,
    RuleRun,
    RuleEmail,
    TimeEntry,
    Task,
    ArticleFeedback,
}


def make_instances() -> dict[type, object]:
    """One row of every registered model, all linked together so inlines have content."""
    calendar = BusinessCalendarFactory(name="Office hours", time_zone="America/New_York")
    HolidayFactory(calendar=calendar)
    plan = SLAPlanFactory(name="Standard", calendar=calendar, is_default=True)
    department = DepartmentFactory(name="IT", default_sla_plan=plan)
    agent = AgentFactory(user=UserFactory(display_name="Ryan Howard"), departments=[department])
    department.manager = agent
    department.save()
    topic = HelpTopicFactory(name="Printers", department=department, sla_plan=plan)
    floor = CustomField.objects.create(name="office_floor", label="Office floor", kind="choice")
    FieldChoice.objects.create(field=floor, label="Second", position=1)
    HelpTopicField.objects.create(help_topic=topic, field=floor, position=1)
    jim = UserFactory(display_name="Jim Halpert")
    office = organization_create(
        name="The Office", domains=["theoffice.example"], units=["Sales"], default_sla_plan=plan
    )
    jim = user_set_organization(user=jim, organization=office, unit=office.units.get())
    endpoint, _ = webhook_endpoint_create(
        settings_=webhook_endpoint_settings_check(
            url="https://hooks.example.com/in", events=["ticket.created"], description="Chat"
        ),
        by=SYSTEM,
    )
    rule = Rule.objects.create(name="Tell the manager", trigger="ticket_created")
    rule.conditions.create(field="subject", operator="contains", value="printer")
    rule.actions.create(kind="notify_manager", text="New: #{number}")
    ticket = ticket_create(
        requester=jim,
        by=jim,
        subject="Printer on fire",
        body="Again.",
        help_topic=topic,
    )
    triggers_run()  # the rule emails the manager
    ticket_claim(ticket=ticket, by=agent.user)
    ticket_add_note(ticket=ticket, body="It is the toner.", by=agent.user)
    ticket_reply(ticket=ticket, body="On my way.", by=agent.user, minutes=10)
    ticket_add_tag(ticket=ticket, name="toner", by=agent.user)
    # A month later the resolution clock has long breached: the assignee is notified.
    sla_sweep(now=timezone.now() + datetime.timedelta(days=30))
    mailbox = Mailbox.objects.create(address="it@example.com", department=department)
    inbound, _ = inbound_store(mailbox=mailbox, raw=message(to=mailbox.address), source="pipe")
    inbound_process(inbound_id=inbound.pk)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, ticket_id=ticket.pk)
    resolved = ticket_create(requester=jim, by=jim, subject="Toner", body="Out.", help_topic=topic)
    ticket_resolve(ticket=resolved, by=agent.user)
    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    # The knowledge base: a category, an article by IT's editor, a reader's answer.
    agent_set_kb_editor(agent=agent, department=department, editor=True)
    category = Category.objects.create(name="Printers and toner", slug="printers")
    article = article_create(
        title="Printer on fire",
        body="Unplug it.",
        category=category,
        department=department,
        help_topics=[topic],
        state="published",
        by=agent.user,
    )
    return {
        Category: category,
        Article: article,
        ArticleFeedback: article_record_feedback(
            article=article, visitor="v", helpful=False, comment="Which extinguisher?"
        ),
        User: agent.user,
        Group: Group.objects.create(name="Helpers"),
        Department: department,
        Organization: office,
        Agent: agent,
        BusinessCalendar: calendar,
        SLAPlan: plan,
        HelpTopic: topic,
        CustomField: floor,
        CannedResponse: CannedResponseFactory(department=department),
        Ticket: ticket,
        Notification: Notification.objects.get(kind=Notification.Kind.SLA_BREACHED),
        Mailbox: mailbox,
        InboundMessage: InboundMessage.objects.get(pk=inbound.pk),
        SatisfactionSurvey: survey,
        MailSuppression: MailSuppression.objects.create(
            address="gone@example.com", status="5.1.1", ticket=ticket
        ),
        AuditEntry: audit_record(
            kind=AuditKind.PASSWORD_CHANGED, actor=agent.user, target=agent.user
        ),
        ApiKey: api_key_create(
            name="Monitoring", user=agent.user, scopes=["tickets:read"], by=SYSTEM
        ).key,
        OsTicketMapping: OsTicketMapping.objects.create(
            kind=OsTicketMapping.Kind.TOPIC, osticket_id=7, our_id=str(topic.pk), note="Printers"
        ),
        WebhookEndpoint: endpoint,
        WebhookDelivery: delivery,
        Rule: rule,
        RuleRun: RuleRun.objects.get(rule=rule),
        RuleEmail: RuleEmail.objects.get(rule=rule),
        Tag: Tag.objects.get(name="toner"),
        TimeEntry: TimeEntry.objects.get(ticket=ticket),
        Task: task_create(ticket=ticket, title="Order toner", assignee=agent, by=agent.user),
        # As the sender records an answer (webhooks/sending.py).
        WebhookAttempt: WebhookAttempt.objects.create(
            delivery=delivery, endpoint=endpoint, status_code=500, error="Answered 500."
        ),
    }


@pytest.fixture
def instances():
    return make_instances()


def registered_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def test_every_registered_model_is_covered(instances):
    assert set(registered_models()) == set(instances)


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_changelist_add_and_change_pages_open(admin_client, instances, model):
    obj = instances[model]

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    expected_add = 403 if model in NO_ADD else 200
    assert admin_client.get(admin_url(model, "add")).status_code == expected_add
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_every_list_has_search_and_filters(model):
    model_admin = admin.site._registry[model]

    assert model_admin.search_fields, f"{model._meta.label} has no search"
    assert model_admin.list_filter, f"{model._meta.label} has no filters"


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_searching_finds_the_row(admin_client, instances, model):
    obj = instances[model]
    term = {
        Ticket: lambda: obj.subject,
        Notification: lambda: obj.recipient.email,
        InboundMessage: lambda: obj.message_id,
        MailSuppression: lambda: obj.address,
        AuditEntry: lambda: obj.actor_label,
        ApiKey: lambda: obj.name,
        OsTicketMapping: lambda: obj.note,
        WebhookDelivery: lambda: obj.webhook_id,
        WebhookAttempt: lambda: obj.delivery.webhook_id,
        RuleRun: lambda: obj.rule.name,
        RuleEmail: lambda: obj.to,
        TimeEntry: lambda: obj.agent.email,
        SatisfactionSurvey: lambda: obj.ticket.subject,
        ArticleFeedback: lambda: obj.comment,
    }.get(model, lambda: str(obj))()

    response = admin_client.get(admin_url(model, "changelist"), {"q": term})

    assert response.status_code == 200
    assert obj in response.context["cl"].result_list
    response = admin_client.get(admin_url(model, "changelist"), {"q": "no-such-thing-xyzzy"})
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_every_filter_choice_opens(admin_client, admin_user, instances, model):
    """Follows every link in the filter sidebar, as a person clicking through would."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get(admin_url(model, "changelist"))
    request.user = admin_user
    changelist = model_admin.get_changelist_instance(request)

    links = [
        choice["query_string"]
        for spec in changelist.filter_specs
        for choice in spec.choices(changelist)
    ]

    assert links
    for query_string in links:
        response = admin_client.get(admin_url(model, "changelist") + query_string)
        assert response.status_code == 200, query_string
        # Django's admin answers an invalid lookup with a redirect to "?e=1".
        assert "e=1" not in response.get("Location", ""), query_string
