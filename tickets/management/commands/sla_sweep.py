from django.core.management.base import BaseCommand

from accounts.roles import SYSTEM
from tickets.clocks import sla_sweep
from tickets.services import tickets_auto_assign


class Command(BaseCommand):
    help = "Run one SLA sweep pass by hand: warn, breach and escalate what is due, once."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1.")
            return
        result = sla_sweep(batch_size=batch_size)
        assigned = tickets_auto_assign(ticket_ids=result.to_auto_assign, by=SYSTEM)
        self.stdout.write(
            f"{result.warnings} warnings, {result.breaches} breaches, "
            f"{result.escalations} escalation actions, {result.notifications} emails queued, "
            f"{assigned} escalated tickets auto-assigned."
        )
