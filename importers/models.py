"""What an import brought over: one row per object of the other help desk, and ours.

The map makes an import idempotent and resumable: a row already mapped with the same
fingerprint is left alone, one whose fingerprint changed is updated, one not mapped is
created. A second run changes nothing; a run after the other desk gained tickets or thread
entries imports exactly those (docs/decisions/0042).
"""

from django.db import models
from django.utils import timezone


class ImportedObject(models.Model):
    class Source(models.TextChoices):
        OSTICKET = "osticket", "osTicket"

    class Kind(models.TextChoices):
        SCHEDULE = "schedule", "Schedule (business calendar)"
        SLA = "sla", "SLA plan"
        DEPARTMENT = "department", "Department"
        TOPIC = "topic", "Help topic"
        STAFF = "staff", "Staff member (agent)"
        USER = "user", "User (requester)"
        CANNED = "canned", "Canned response"
        API_KEY = "api_key", "API key"
        TICKET = "ticket", "Ticket"
        ENTRY = "entry", "Thread entry"
        EVENT = "event", "Thread event"
        ORGANIZATION = "organization", "Organization"
        USER_ORG = "user_org", "User's organization"
        FAQ_CATEGORY = "faq_category", "FAQ category"
        FAQ = "faq", "FAQ (article)"
        FORM_FIELD = "form_field", "Form field (custom field)"
        FIELD_VALUES = "field_values", "A ticket's form values"

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OSTICKET)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source_id = models.PositiveBigIntegerField(help_text="The other desk's id.")
    target_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Our object's id (empty: nothing here, e.g. an event we do not keep).",
    )
    # A hash of what was read, so that a re-run knows whether anything changed.
    fingerprint = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="The other desk's name for it.")
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source", "kind", "source_id"]
        verbose_name = "imported object"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="importers_object_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.kind} {self.source_id} → {self.target_id}"
