"""Changes to the ledger that people make: sending a quarantined message round again."""

from django.db import transaction

from mail.models import InboundMessage


def inbound_retry(*, inbound: InboundMessage) -> InboundMessage:
    """Put a quarantined message back in line (after a fix, say): pending, reason kept in
    the log, processed by the next worker that takes it."""
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        if row.status == InboundMessage.Status.QUARANTINED:
            row.status = InboundMessage.Status.PENDING
            row.save(update_fields=["status"])
    return row
