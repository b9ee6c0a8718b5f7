"""The email outbox: queue a message in the transaction that causes it, render it, send it.

Services, the SLA sweep and anything else that owes someone an email write a Notification
row in their own transaction (`notifications_queue`, or the sweep's set-based insert) and
wake the sender after commit (`outbox_wake_on_commit`): the one way in, with one
de-duplication, so a burst of changes queues one send task. The worker renders and sends
(`notifications_send_pending`). See docs/decisions/0007.
"""

from tickets.outbox.queue import (
    SEND_TASK,
    notifications_queue,
    outbox_sender_awake,
    outbox_wake,
    outbox_wake_on_commit,
)
from tickets.outbox.render import (
    REPLY_ABOVE_MARKER,
    new_message_id,
    render_notification,
    requester_thread_root,
    requester_ticket_url,
    survey_url,
)
from tickets.outbox.send import (
    LEASE,
    MAX_ATTEMPTS,
    notifications_send_pending,
    outbox_settle_past,
)

__all__ = [
    "LEASE",
    "MAX_ATTEMPTS",
    "REPLY_ABOVE_MARKER",
    "SEND_TASK",
    "new_message_id",
    "notifications_queue",
    "notifications_send_pending",
    "outbox_sender_awake",
    "outbox_settle_past",
    "outbox_wake",
    "outbox_wake_on_commit",
    "render_notification",
    "requester_thread_root",
    "requester_ticket_url",
    "survey_url",
]
