"""Custom fields per help topic (osTicket's forms): what admins define, and the values.

A field is defined once (its kind, label, help text, who sees it, what it requires) and
attached to help topics in order. Choices are rows, so renaming one keeps every ticket's
value. Values are typed rows, one per ticket and field (one per chosen choice for a
multiple choice), indexed so that the queue filters by a choice with an index seek
(docs/decisions/0038). Validation lives in tickets/services/fields.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class FieldKind(models.TextChoices):
    TEXT = "text", "Text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    CHECKBOX = "checkbox", "Checkbox"
    USER = "user", "User"
    EMAIL = "email", "Email address"


# Kinds whose values are FieldChoice rows.
CHOICE_KINDS = (FieldKind.CHOICE, FieldKind.MULTIPLE_CHOICE)
# Kinds whose values are text (searched, shown as typed).
TEXT_KINDS = (FieldKind.TEXT, FieldKind.LONG_TEXT, FieldKind.EMAIL)


class FieldAudience(models.TextChoices):
    EVERYONE = "everyone", "Requesters and agents"
    AGENTS = "agents", "Agents only"


FIELD_NAME_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    "Lower-case letters, digits and underscores, starting with a letter (e.g. asset_tag).",
)
USER_FIELDS_FOR_AGENTS = (
    "A user field is for agents only: on the requesters' form it would tell anyone which "
    "addresses have an account here."
)


class CustomField(models.Model):
    """A question a help topic asks: the Hardware topic's asset tag or office floor."""

    Kind = FieldKind
    Audience = FieldAudience

    label = models.CharField(max_length=100)
    name = models.CharField(
        max_length=50,
        unique=True,
        validators=[FIELD_NAME_VALIDATOR],
        help_text="The field's key in the API (`fields.asset_tag`); never shown to people.",
    )
    kind = models.CharField(max_length=16, choices=FieldKind.choices, default=FieldKind.TEXT)
    help_text = models.CharField(
        max_length=255, blank=True, help_text="Shown under the field, as plain text."
    )
    audience = models.CharField(
        "shown to and edited by",
        max_length=16,
        choices=FieldAudience.choices,
        default=FieldAudience.EVERYONE,
        help_text="Agents only: never on the requesters' form, their ticket page or their API.",
    )
    required_at_intake = models.BooleanField(
        default=False,
        help_text="The form and the API refuse a new ticket without it. Mail is never "
        "refused: a ticket by email opens with the field empty.",
    )
    required_to_resolve = models.BooleanField(
        default=False, help_text="Agents cannot resolve the ticket while it is empty."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["label", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FieldKind.values), name="tickets_field_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(audience__in=FieldAudience.values),
                name="tickets_field_audience_valid",
            ),
        ]

    def __str__(self):
        return self.label

    def clean(self):
        if self.kind == FieldKind.USER and self.audience != FieldAudience.AGENTS:
            raise ValidationError({"audience": USER_FIELDS_FOR_AGENTS})

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def for_requesters(self) -> bool:
        return self.audience == FieldAudience.EVERYONE


class FieldChoice(models.Model):
    """One option of a choice field; renaming it renames it on every ticket."""

    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")
    is_active = models.BooleanField(
        default=True, help_text="Inactive: kept on tickets that have it, no longer offered."
    )

    class Meta:
        ordering = ["field", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["field", "label"], name="tickets_choice_label_once")
        ]

    def __str__(self):
        return self.label


class HelpTopicField(models.Model):
    """A field asked by a help topic, at its place on the form."""

    help_topic = models.ForeignKey(
        "tickets.HelpTopic", on_delete=models.CASCADE, related_name="topic_fields"
    )
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="topic_links")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["help_topic", "position", "id"]
        verbose_name = "help topic field"
        constraints = [
            models.UniqueConstraint(
                fields=["help_topic", "field"], name="tickets_topic_field_once"
            )
        ]

    def __str__(self):
        # What the admin writes above each row of its inlines and in its history.
        return f"{self.field} on {self.help_topic}"


class TicketFieldValue(models.Model):
    """A ticket's value of one field, in the column of its kind.

    Text, long text and email in value_text; number, date and checkbox in their own
    columns; a user as a key; a choice as its FieldChoice (one row per chosen choice of a
    multiple choice). No row: the field is empty.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="field_values", db_index=False
    )
    field = models.ForeignKey(
        CustomField, on_delete=models.PROTECT, related_name="values", db_index=False
    )
    choice = models.ForeignKey(
        FieldChoice, null=True, blank=True, on_delete=models.PROTECT, related_name="values"
    )
    value_text = models.TextField(blank=True, default="")
    value_number = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)
    value_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["ticket", "field", "choice"]
        constraints = [
            # One value per ticket and field; for a multiple choice, one row per choice.
            # It also serves a ticket's values (ticket, field) and the choice check below.
            models.UniqueConstraint(
                fields=["ticket", "field", "choice"],
                nulls_distinct=False,
                name="tickets_field_value_once",
            ),
        ]
        indexes = [
            # The queue's filter by a choice: which tickets have it, in one index range
            # (docs/decisions/0038).
            models.Index(
                fields=["field", "choice", "ticket"],
                condition=Q(choice__isnull=False),
                name="field_value_choice",
            ),
        ]

    def __str__(self):
        return f"Field {self.field_id} of ticket {self.ticket_id}"
