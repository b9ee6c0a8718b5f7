"""The shipped rules (docs/automation.md), inactive until an admin turns them on."""

from django.db import migrations

DEFAULTS = [
    {
        "name": "Remind requesters pending for 3 business days",
        "description": "A ticket waiting on its requester for 24 business hours (three "
        "8-hour working days on the ticket's SLA plan calendar; a plan without a calendar "
        "counts every hour) gets one reminder, once per time it goes pending.",
        "order": 10,
        "conditions": [{"field": "hours_pending", "operator": "business_hours", "value": "24"}],
        "actions": [
            {
                "kind": "send_reply",
                "text": "Hello {requester_name},\n\nWe are still waiting for your answer about "
                "ticket #{number} “{subject}”. Reply to this message when you can, so "
                "that we can go on working on it.\n\nThank you.",
            }
        ],
    },
    {
        "name": "Close tickets resolved for 7 days",
        "description": "A ticket resolved for 7 days, whose requester has not written for "
        "7 days either, is closed. Measured from the resolution and the requester's last "
        "message, never from the last update: an agent's note does not keep it open.",
        "order": 20,
        "conditions": [
            {"field": "hours_resolved", "operator": "calendar_hours", "value": "168"},
            {"field": "hours_since_requester", "operator": "calendar_hours", "value": "168"},
        ],
        "actions": [{"kind": "set_status", "status": "closed"}],
    },
    {
        "name": "Tell the manager of a ticket unassigned for an hour",
        "description": "An open ticket nobody has taken an hour after it came in: its "
        "department's manager gets an email, once.",
        "order": 30,
        "conditions": [
            {"field": "status", "operator": "is", "value": "open"},
            {"field": "assignee", "operator": "is", "value": "none"},
            {"field": "hours_since_created", "operator": "calendar_hours", "value": "1"},
        ],
        "actions": [
            {
                "kind": "notify_manager",
                "text": "Ticket #{number} “{subject}” in {department} has been waiting "
                "for an hour and nobody has taken it.",
            }
        ],
    },
]


def add_defaults(apps, schema_editor):
    Rule = apps.get_model("automation", "Rule")
    for spec in DEFAULTS:
        if Rule.objects.filter(name=spec["name"]).exists():
            continue
        rule = Rule.objects.create(
            name=spec["name"],
            description=spec["description"],
            trigger="time",
            match="all",
            order=spec["order"],
            is_active=False,
        )
        for condition in spec["conditions"]:
            rule.conditions.create(**condition)
        for position, action in enumerate(spec["actions"]):
            rule.actions.create(order=position, **action)


def remove_defaults(apps, schema_editor):
    Rule = apps.get_model("automation", "Rule")
    Rule.objects.filter(name__in=[spec["name"] for spec in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("automation", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
