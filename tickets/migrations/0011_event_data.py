# Events carry structured data (ids and labels) instead of two display strings. Existing
# rows are backfilled from those strings: labels as they were stored, ids looked up by the
# name where a name identifies one row (None where it does not, or the row is gone).

import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 2000

# The labels of the time: migrations do not import today's models.
STATUS = {"open": "Open", "pending": "Pending", "resolved": "Resolved", "closed": "Closed"}
PRIORITY = {"Low": 1, "Normal": 2, "High": 3, "Urgent": 4}
CLOCK = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}
STATUS_KINDS = ("created", "status_changed", "reopened")
CLOCK_KINDS = ("sla_warning", "sla_breached")

TRANSFERRED = re.compile(r"^Transferred to (?P<name>.*)$", re.S)
REASSIGNED = re.compile(r"^Reassigned to (?P<name>.*)$", re.S)
RAISED = re.compile(r"^Priority raised from (?P<old>\w+) to (?P<new>\w+)$")
NOTIFIED = re.compile(r"^Notified (?P<name>.*) \((?P<role>assignee|manager)\)$", re.S)


def _unique_ids(pairs):
    """name -> id, for the names that only one row has."""
    ids, seen = {}, set()
    for pk, name in pairs:
        if name in seen:
            ids[name] = None
        else:
            ids[name] = pk
            seen.add(name)
    return ids


class _Names:
    def __init__(self, apps):
        User = apps.get_model("accounts", "User")
        Agent = apps.get_model("accounts", "Agent")
        Department = apps.get_model("accounts", "Department")
        SLAPlan = apps.get_model("sla", "SLAPlan")
        self.users = _unique_ids(
            (u.pk, u.display_name or u.email) for u in User.objects.only("display_name", "email")
        )
        self.agents = _unique_ids(
            (a.pk, a.user.display_name or a.user.email) for a in Agent.objects.select_related("user")
        )
        self.agent_of_user = dict(Agent.objects.values_list("user_id", "pk"))
        self.departments = _unique_ids(Department.objects.values_list("pk", "name"))
        self.plans = _unique_ids(SLAPlan.objects.values_list("pk", "name"))

    @staticmethod
    def ref(ids, name):
        return {"id": ids.get(name), "name": name} if name else None


def _status(value):
    return {"id": value, "name": STATUS.get(value, value)} if value else None


def _priority(label):
    return {"id": PRIORITY.get(label), "name": label} if label else None


def _escalation(old, new, names):
    data = {"clock": {"id": None, "kind": old, "name": CLOCK.get(old, old)}}
    if match := TRANSFERRED.match(new):
        data.update(action="transferred", to=names.ref(names.departments, match["name"]))
    elif match := REASSIGNED.match(new):
        data.update(action="assigned", to=names.ref(names.agents, match["name"]))
    elif match := RAISED.match(new):
        data.update(action="priority_raised", **{"from": _priority(match["old"])})
        data["to"] = _priority(match["new"])
    elif match := NOTIFIED.match(new):
        data.update(
            action="notified", to=names.ref(names.users, match["name"]), role=match["role"]
        )
    else:
        data["text"] = new
    return data


def _data(event, names):
    kind, old, new = event.kind, event.old_value, event.new_value
    clock = {"id": event.clock_id, "kind": new, "name": CLOCK.get(new, new)}
    if kind == "created":
        return {"to": _status(new)}
    if kind in STATUS_KINDS:
        return {"from": _status(old), "to": _status(new)}
    if kind in CLOCK_KINDS:
        return {"clock": clock}
    if kind == "escalated":
        data = _escalation(old, new, names)
        data["clock"]["id"] = event.clock_id
        return data
    if kind == "claimed":
        return {"to": {"id": names.agent_of_user.get(event.actor_id), "name": new}}
    lookups = {
        "assigned": names.agents,
        "transferred": names.departments,
        "plan_changed": names.plans,
    }
    if kind in lookups:
        ids = lookups[kind]
        return {"from": names.ref(ids, old), "to": names.ref(ids, new)}
    if kind == "priority_changed":
        return {"from": _priority(old), "to": _priority(new)}
    return {}


def _values(event):
    """The old display strings back from the data (for migrating backwards)."""
    data = event.data or {}

    def name(key):
        return (data.get(key) or {}).get("name") or ""

    kind = event.kind
    if kind in STATUS_KINDS:
        return (data.get("from") or {}).get("id") or "", (data.get("to") or {}).get("id") or ""
    if kind in CLOCK_KINDS:
        return "", (data.get("clock") or {}).get("kind", "")
    if kind == "escalated":
        text = {
            "transferred": f"Transferred to {name('to')}",
            "assigned": f"Reassigned to {name('to')}",
            "priority_raised": f"Priority raised from {name('from')} to {name('to')}",
            "notified": f"Notified {name('to')} ({data.get('role', '')})",
        }.get(data.get("action"), data.get("text", ""))
        return (data.get("clock") or {}).get("kind", ""), text
    return name("from"), name("to")


def _in_batches(TicketEvent):
    last = 0
    while True:
        batch = list(TicketEvent.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def forwards(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    if not TicketEvent.objects.exists():
        return
    names = _Names(apps)
    for batch in _in_batches(TicketEvent):
        for event in batch:
            event.data = _data(event, names)
        TicketEvent.objects.bulk_update(batch, ["data"])


def backwards(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    for batch in _in_batches(TicketEvent):
        for event in batch:
            old, new = _values(event)
            event.old_value, event.new_value = old[:255], new[:255]
        TicketEvent.objects.bulk_update(batch, ["old_value", "new_value"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_user_email_confirmed_at"),
        ("sla", "0001_initial"),
        ("tickets", "0010_guest_access_and_requester_emails"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketevent",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
        migrations.RemoveField(
            model_name="ticketevent",
            name="new_value",
        ),
        migrations.RemoveField(
            model_name="ticketevent",
            name="old_value",
        ),
        migrations.AlterField(
            model_name="ticketevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="Empty: the system (the SLA sweep, the mail channel, automation).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
