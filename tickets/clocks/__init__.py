"""SLA clocks: the rules that start, pause and meet them, the sweep that warns and breaches
them exactly once, and the recomputation of deadlines after a policy edit.

The services call the `clocks_on_*` rules inside their transaction, on the ticket they
locked; the sweep and the recomputation run in the worker (tickets/tasks.py).
"""

from tickets.clocks.policy import Policy, policy_for, policy_of
from tickets.clocks.recompute import (
    RECOMPUTE_TASK,
    deadlines_recompute_request,
    deadlines_recompute_resume,
    deadlines_recompute_run,
)
from tickets.clocks.rules import (
    NewClocks,
    clocks_for_new_ticket,
    clocks_on_agent_reply,
    clocks_on_plan_change,
    clocks_on_requester_message,
    clocks_on_status_change,
    refresh_ticket_sla,
)
from tickets.clocks.sweep import SweepResult, sla_backlog_exceeds, sla_sweep

__all__ = [
    "RECOMPUTE_TASK",
    "NewClocks",
    "Policy",
    "SweepResult",
    "clocks_for_new_ticket",
    "clocks_on_agent_reply",
    "clocks_on_plan_change",
    "clocks_on_requester_message",
    "clocks_on_status_change",
    "deadlines_recompute_request",
    "deadlines_recompute_resume",
    "deadlines_recompute_run",
    "policy_for",
    "policy_of",
    "refresh_ticket_sla",
    "sla_backlog_exceeds",
    "sla_sweep",
]
