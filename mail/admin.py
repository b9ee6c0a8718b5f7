"""Mailboxes (configured here) and the inbound ledger (read here, processed by workers)."""

from django import forms
from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat, pluralize
from django.utils import timezone

from accounts.admin import AuditedAdminMixin
from mail.models import InboundMessage, Mailbox
from mail.processing import inbound_process
from mail.services import inbound_retry


class MailboxForm(forms.ModelForm):
    # Written, never shown back: leaving it empty keeps the one stored.
    imap_password = forms.CharField(
        label="IMAP password",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the stored password.",
    )

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "department",
            "help_topic",
            "is_active",
            "transport",
            "allow_unknown_senders",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "imap_password",
            "imap_folder",
            "after_processing",
            "processed_folder",
            "fetch_interval_seconds",
        ]

    def clean_address(self):
        return self.cleaned_data["address"].strip().lower()

    def clean_imap_password(self):
        password = self.cleaned_data.get("imap_password")
        if not password and self.instance.pk:
            return self.instance.imap_password
        return password

    def clean(self):
        data = super().clean()
        if data.get("transport") == Mailbox.Transport.IMAP:
            for name in ("imap_host", "imap_user"):
                if not data.get(name):
                    self.add_error(name, "Needed to fetch mail by IMAP.")
            if data.get("imap_security") == Mailbox.Security.NONE and data.get(
                "imap_host"
            ) not in ("127.0.0.1", "::1", "localhost"):
                self.add_error(
                    "imap_security",
                    "Without TLS the password would cross the network in clear: only for a "
                    "test server on this machine (127.0.0.1).",
                )
        return data


@admin.register(Mailbox)
class MailboxAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = MailboxForm
    list_display = ("address", "department", "transport", "is_active", "health", "last_fetched_at")
    list_filter = ("transport", "is_active", "department")
    list_select_related = ("department",)
    search_fields = ("address",)
    readonly_fields = ("failures", "next_fetch_at", "last_fetched_at", "last_error")
    fieldsets = (
        (None, {"fields": ("address", "department", "help_topic", "is_active")}),
        ("Arrival", {"fields": ("transport", "allow_unknown_senders")}),
        (
            "IMAP",
            {
                "fields": (
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_user",
                    "imap_password",
                    "imap_folder",
                    "after_processing",
                    "processed_folder",
                    "fetch_interval_seconds",
                )
            },
        ),
        ("Health", {"fields": ("failures", "next_fetch_at", "last_fetched_at", "last_error")}),
    )

    @admin.display(description="Health")
    def health(self, obj: Mailbox) -> str:
        if not obj.failures:
            return "OK"
        return f"failing ({obj.failures} time{pluralize(obj.failures)}): {obj.last_error[:80]}"

    def construct_change_message(self, request, form, formsets, add=False):
        # The history names the fields that changed, never the password's value; and not
        # even that it changed, when only its (kept) value was echoed back.
        message = super().construct_change_message(request, form, formsets, add)
        for part in message:
            fields = part.get("changed", {}).get("fields")
            if fields:
                part["changed"]["fields"] = [f for f in fields if f != "IMAP password"]
        return message


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return InboundMessage.Status.choices

    def queryset(self, request, queryset):
        if self.value() in InboundMessage.Status.values:
            return queryset.filter(status=self.value())
        return queryset


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """The ledger: every message that reached us, and what became of it."""

    list_display = (
        "received_at",
        "mailbox",
        "from_address",
        "subject",
        "message_size",
        "status",
        "outcome",
        "ticket_number",
        "reply_shown",
    )
    list_filter = (StatusFilter, "outcome", "oversized", "reply", "source", "mailbox")
    list_select_related = ("mailbox", "ticket")
    search_fields = ("message_id", "from_address", "subject", "sha256")
    date_hierarchy = "received_at"
    actions = ("process_again",)
    fields = (
        "mailbox",
        "source",
        "received_at",
        "message_id",
        "sha256",
        "message_size",
        "oversized",
        "from_address",
        "subject",
        "status",
        "outcome",
        "reason",
        "reply",
        "reply_note",
        "reply_sent_at",
        "reply_message_id",
        "admins_notified_at",
        "attempts",
        "processed_at",
        "ticket",
        "entry",
        "raw_headers",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # accepted mail is never lost, not even by an admin's click

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Ticket", ordering="ticket__number")
    def ticket_number(self, obj: InboundMessage) -> str:
        return f"#{obj.ticket.number}" if obj.ticket_id else "-"

    @admin.display(description="Size", ordering="size")
    def message_size(self, obj: InboundMessage) -> str:
        return filesizeformat(obj.size) + (" (too large)" if obj.oversized else "")

    @admin.display(description="Reply to the sender", ordering="reply")
    def reply_shown(self, obj: InboundMessage) -> str:
        """Only oversized messages get one: whether it went out, or why not."""
        if obj.reply == InboundMessage.Reply.SENT:
            return f"Sent {timezone.localtime(obj.reply_sent_at):%Y-%m-%d %H:%M}"
        if obj.reply:
            note = f": {obj.reply_note[:120]}" if obj.reply_note else ""
            return f"{obj.get_reply_display()}{note}"
        return "-"

    @admin.display(description="Headers")
    def raw_headers(self, obj: InboundMessage) -> str:
        head = bytes(obj.raw).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        return head.decode("utf-8", errors="replace")[:20000]

    @admin.action(description="Process again (quarantined messages)")
    def process_again(self, request, queryset):
        retried = processed = 0
        for row in queryset.filter(status=InboundMessage.Status.QUARANTINED):
            inbound_retry(inbound=row)
            retried += 1
            result = inbound_process(inbound_id=row.pk)
            processed += result is not None and result.status == InboundMessage.Status.PROCESSED
        level = messages.SUCCESS if processed == retried else messages.WARNING
        self.message_user(
            request,
            f"{processed} of {retried} quarantined message{pluralize(retried)} processed "
            f"({timezone.localtime():%H:%M}).",
            level,
        )
