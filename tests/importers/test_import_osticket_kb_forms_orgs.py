"""import_osticket's organizations, FAQ (into the knowledge base) and custom form fields,
against the real MariaDB fixture (tests/data/osticket/): what comes over, re-runs that
change nothing, changes made in osTicket since, the dry run, and a run that failed half
way resumed (decision 0047)."""

import pytest
from django.urls import reverse

from accounts.models import Organization, OrganizationDomain, User
from accounts.services import user_set_organization
from importers.models import ImportedObject
from importers.osticket import faq as faq_steps
from kb.models import Article, ArticleRevision, ArticleState, Category
from tests.importers.helpers import run_import
from tests.support.inert import assert_inert
from tickets.models import (
    CustomField,
    FieldChoice,
    FieldKind,
    HelpTopic,
    HelpTopicField,
    Ticket,
    TicketFieldValue,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def imported(osticket_database, media):
    return run_import(osticket_database)


def counts():
    models = (
        Organization,
        OrganizationDomain,
        Category,
        Article,
        ArticleRevision,
        CustomField,
        FieldChoice,
        HelpTopicField,
        TicketFieldValue,
        ImportedObject,
    )
    return {model.__name__: model.objects.count() for model in models}


def summary(output: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()[1:]
        for line in output.splitlines()
        if line.startswith("  ") and len(line.split()) == 5 and line.split()[1].isdigit()
    }


def values_of(number: int) -> dict[str, object]:
    out = {}
    for row in TicketFieldValue.objects.filter(ticket__number=number).select_related(
        "field", "choice"
    ):
        field = row.field
        if field.kind == FieldKind.MULTIPLE_CHOICE:
            out.setdefault(field.name, set()).add(row.choice.label)
        elif field.kind == FieldKind.CHOICE:
            out[field.name] = row.choice.label
        elif field.kind == FieldKind.DATE:
            out[field.name] = row.value_date.isoformat()
        elif field.kind == FieldKind.CHECKBOX:
            out[field.name] = row.value_bool
        else:
            out[field.name] = row.value_text
    return out


# Organizations -----------------------------------------------------------------------


def test_organizations_come_over_with_their_domains_and_people(imported):
    dunder = Organization.objects.get(name="Dunder Mifflin")
    assert list(dunder.domains.values_list("domain", flat=True)) == ["dundermifflin.example"]
    assert dunder.notes.startswith("Address: 1725 Slough Avenue, Scranton\nPhone: 570-555-0100")
    assert "Paper, and more." in dunder.notes and "<b>" not in dunder.notes
    vance = Organization.objects.get(name="Vance Réfrigération")
    assert set(vance.domains.values_list("domain", flat=True)) == {
        "vance.example",
        "vancerefrigeration.example",
    }
    assert set(User.objects.filter(organization=dunder).values_list("email", flat=True)) == {
        "jim.halpert@dundermifflin.example",
        "kevin.malone@dundermifflin.example",
    }
    assert User.objects.get(email="zoe@dundermifflin.example").organization == vance
    assert User.objects.get(email="angela.martin@dundermifflin.example").organization is None
    hostile = Organization.objects.get(name="<script>alert(1)</script> Park")
    assert not hostile.domains.exists()
    assert "organization 3: domain 'not a domain' left out" in imported
    assert "user 3: organization 9 was not imported" in imported


def test_an_organization_made_here_by_hand_is_adopted_not_doubled(osticket_database, media):
    from accounts.services import organization_create

    mine = organization_create(name="dunder mifflin", notes="ours")
    run_import(osticket_database)
    assert Organization.objects.filter(name__iexact="dunder mifflin").count() == 1
    mine.refresh_from_db()
    assert mine.name == "Dunder Mifflin" and mine.domains.count() == 1


# The knowledge base ------------------------------------------------------------------


def test_faqs_become_articles_in_their_categories_and_states(imported):
    hardware = Category.objects.get(name="Hardware")
    monitors = Category.objects.get(name="Monitors")
    internal = Category.objects.get(name="Procédures internes")
    assert hardware.parent is None and monitors.parent == hardware
    assert hardware.description == "Printers, monitors & computers"

    flicker = Article.objects.get(title="My monitor flickers")
    assert (flicker.state, flicker.category) == (ArticleState.PUBLISHED, monitors)
    assert set(flicker.help_topics.values_list("name", flat=True)) == {
        "Computer problem",
        "Computer problem / Printer",
    }
    assert flicker.created_at.isoformat() == "2024-03-05T17:00:00+00:00"
    assert flicker.updated_at.isoformat() == "2024-03-06T09:30:00+00:00"
    assert flicker.department.name == "IT"  # osTicket's default department
    assert flicker.revisions.get().change == "imported"
    # Sanitised, then Markdown: the formatting stays, the script and handlers do not.
    assert flicker.body == (
        "Check the **cable** — «vérifiez».\n\n"
        "click or [the manual](https://example.com/help)\n\n"
        "- Unplug it\n- Plug it back"
    )
    for text in (flicker.body, flicker.body_html):
        assert "<script" not in text and "onerror" not in text and "javascript:" not in text
    assert (
        "<strong>cable</strong>" in flicker.body_html and "<li>Unplug it</li>" in flicker.body_html
    )

    jams = Article.objects.get(title="Printer jams")
    assert (jams.state, jams.category) == (ArticleState.DRAFT, hardware)  # unpublished
    reset = Article.objects.get(title="Resetting a password")
    assert (reset.state, reset.category) == (ArticleState.INTERNAL, internal)  # ispublic 0
    assert reset.body == "## In the console\n\nUse `reset-pw`."
    assert "FAQ 1: its attachments are not brought over" in imported
    assert "notes ünïcödé.txt" in imported


def test_an_imported_article_is_inert_in_the_help_centre(imported, client):
    flicker = Article.objects.get(title="My monitor flickers")
    response = client.get(reverse("portal:help_article", args=[flicker.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html)
    assert "Unplug it" in html
    internal = Article.objects.get(title="Resetting a password")
    assert client.get(reverse("portal:help_article", args=[internal.slug])).status_code == 404


# Custom fields -----------------------------------------------------------------------


def test_form_fields_become_custom_fields_on_their_topics(imported):
    fields = {field.name: field for field in CustomField.objects.all()}
    # Core fields (the ticket's subject, message, priority; the user form) are not fields.
    assert not {"subject", "message", "priority", "email", "name"} & set(fields)
    assert "core fields are imported as the ticket's own and skipped here" in imported
    assert {name: field.kind for name, field in fields.items()} == {
        "floor": FieldKind.TEXT,
        "asset_tag": FieldKind.TEXT,
        "bought": FieldKind.DATE,
        "kind": FieldKind.CHOICE,
        "under_warranty": FieldKind.CHECKBOX,
        "extras": FieldKind.MULTIPLE_CHOICE,
        "agent_notes": FieldKind.LONG_TEXT,
        "gizmo": FieldKind.TEXT,  # an unknown type: text, and said
        "office": FieldKind.CHOICE,  # a custom list
        "callback": FieldKind.TEXT,  # phone
    }
    assert "osTicket's type 'gizmo-plugin' is not one we know; imported as text" in imported
    assert list(fields["kind"].choices.values_list("label", flat=True)) == [
        "Desktop",
        "Laptop",
        "Tablet",
    ]
    assert list(fields["office"].choices.values_list("label", flat=True)) == [
        "Scranton",
        "Stamford",
    ]
    asset = fields["asset_tag"]
    assert (asset.required_at_intake, asset.audience, asset.help_text) == (
        True,
        "everyone",
        "On the sticker",
    )
    notes = fields["agent_notes"]
    assert (notes.audience, notes.required_to_resolve) == ("agents", True)
    computer = HelpTopic.objects.get(name="Computer problem")
    on_computer = list(computer.topic_fields.values_list("field__name", flat=True))
    assert on_computer[0] == "floor" and on_computer[1:4] == ["asset_tag", "bought", "kind"]
    billing = HelpTopic.objects.get(name="Billing")
    assert list(billing.topic_fields.values_list("field__name", flat=True)) == ["floor"]


def test_the_tickets_values_come_over(imported, client_for):
    assert values_of(100123) == {
        "floor": "3rd floor",
        "asset_tag": "DM-0042 <script>alert(1)</script>",
        "bought": "2023-05-17",
        "kind": "Laptop",
        "under_warranty": True,
        "extras": {"Mouse", "Keyboard"},
        "agent_notes": "Warranty ends soon",
        "gizmo": "whatever it is",
        "office": "Scranton",
        "callback": "570-555-0199",
    }
    assert values_of(100124) == {}  # an empty value is no value
    kevin = User.objects.get(email="kevin.benavides@dundermifflin.example")
    response = client_for(kevin).get(reverse("agent:ticket", args=[100123]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html)
    assert "DM-0042" in html


# Re-runs, changes, the dry run, a failed run resumed ----------------------------------


def test_a_second_run_creates_nothing(osticket_database, imported):
    before = counts()
    output = run_import(osticket_database)
    assert counts() == before
    lines = summary(output)
    for kind in ("organization", "faq_category", "faq", "form_field", "field_values"):
        assert lines[kind][:2] == ["0", "0"], (kind, lines[kind])
    assert lines["user_org"][:2] == ["0", "0"]


def test_changes_in_osticket_come_over_on_the_next_run(osticket_database, imported):
    jim = User.objects.get(email="jim.halpert@dundermifflin.example")
    vance = Organization.objects.get(name="Vance Réfrigération")
    kevin_malone = User.objects.get(email="kevin.malone@dundermifflin.example")
    user_set_organization(user=kevin_malone, organization=vance)  # an admin here moved him
    osticket_database.execute(
        "UPDATE ost_faq SET ispublished = 1, answer = '<p>Open <i>tray 3</i>.</p>', "
        "updated = '2024-04-01 09:00:00' WHERE faq_id = 2;"
        'UPDATE ost_form_entry_values SET value = \'{"tab":"Tablet"}\' '
        "WHERE entry_id = 2 AND field_id = 12;"
        "UPDATE ost_user SET org_id = 2 WHERE id = 1;"
        "INSERT INTO ost_organization (id, name, domain) VALUES (4, 'Sabre', 'sabre.example');"
    )
    before = counts()
    output = run_import(osticket_database)
    jams = Article.objects.get(title="Printer jams")
    assert jams.state == ArticleState.PUBLISHED and jams.body == "Open *tray 3*."
    assert jams.updated_at.isoformat() == "2024-04-01T09:00:00+00:00"
    assert values_of(100123)["kind"] == "Tablet"
    jim.refresh_from_db()
    kevin_malone.refresh_from_db()
    assert jim.organization == vance
    assert kevin_malone.organization == vance  # unchanged in osTicket: left as moved here
    after = counts()
    assert after["Organization"] == before["Organization"] + 1
    assert after["Article"] == before["Article"]
    lines = summary(output)
    assert lines["faq"][:2] == ["0", "1"] and lines["field_values"][:2] == ["0", "1"]
    assert lines["user_org"][:2] == ["0", "1"]


def test_a_dry_run_counts_the_new_kinds_and_writes_nothing(osticket_database, media):
    before = counts()
    output = run_import(osticket_database, "--dry-run")
    assert counts() == before
    lines = summary(output)
    assert lines["organization"] == ["3", "0", "0", "0"]
    assert lines["faq_category"] == ["3", "0", "0", "0"]
    assert lines["faq"] == ["3", "0", "0", "0"]
    assert lines["form_field"] == ["10", "0", "0", "6"]
    assert lines["field_values"] == ["2", "0", "0", "0"]
    assert lines["user_org"] == ["3", "0", "0", "0"]


def test_a_run_that_failed_on_an_article_is_resumed_by_the_next(
    osticket_database, media, monkeypatch
):
    real = faq_steps.article_import

    def failing(**kwargs):
        if kwargs["title"] == "Printer jams":
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(faq_steps, "article_import", failing)
    output = run_import(osticket_database)
    assert "skipped osTicket faq 2: RuntimeError: the database went away" in output
    assert set(Article.objects.values_list("title", flat=True)) == {
        "My monitor flickers",
        "Resetting a password",
    }
    assert Ticket.objects.filter(number=100123).exists()  # the rest went on

    monkeypatch.setattr(faq_steps, "article_import", real)
    output = run_import(osticket_database)
    assert summary(output)["faq"] == ["1", "0", "2", "0"]
    assert Article.objects.get(title="Printer jams").state == ArticleState.DRAFT
    assert Article.objects.count() == 3
