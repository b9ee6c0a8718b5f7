"""Inbound mail: ledger rows processed by a real Celery worker, against ticket_create itself.

What it does, in one run on a scratch PostgreSQL database (dropped and recreated; its name
must contain "bench"):

1. Seeds a help desk: IT with the mailbox it@theoffice.example (transport pipe), a help
   topic and SLA plan, three agents, and existing tickets opened through `ticket_create`
   whose acknowledgements carry stored Message-IDs, as the outbox gives them when it sends.
2. Builds --messages real RFC 5322 messages with the `email` package (seeded random, fixed
   boundaries and dates: the same bytes every run): about 72% new tickets from distinct
   senders, 18% replies from the requester to an existing ticket (In-Reply-To and
   References our acknowledgement's Message-ID, quoted history under "On ... wrote:"),
   10% auto-replies (half `Auto-Submitted: auto-replied`, half an "Out of Office:" subject
   with `X-Autoreply`); 30% of new tickets and replies are multipart/alternative with HTML,
   15% carry a small PDF or PNG. Each is stored with `mail.ledger.inbound_store` while no
   worker runs, which queues its task on Redis exactly as the MTA pipe does.
3. Starts `celery -A helpdesk worker` (prefork, concurrency 2, its own process group,
   DEBUG off) and times it from the moment it answers a ping. When about half of the rows
   are processed it SIGKILLs the worker's whole process group, starts a new one, lets it
   drain the queue, and then queues beat's `mail.process_pending` (once the dead tasks'
   rows are STALE_SECONDS old, as in production) for the rows whose tasks died with the
   worker: Redis would redeliver those only after its visibility timeout, an hour.
4. A paced phase: --paced messages of the same mix, stored one by one at half the
   measured rate while the worker runs, for the latency from ledger row (`received_at`)
   to ticket or entry (`processed_at`). With everything stored before the worker starts,
   that time would only be queue wait, so the bulk phase reports no latency.
5. Checks every message: `lost` counts ledger rows missing, still pending, without an
   outcome (quarantined) or without the ticket or entry they should have made;
   `duplicates` counts tickets beyond one per new-ticket message and thread entries beyond
   one per message on each ticket. Auto-replies must make no entry and no acknowledgement.
6. The baseline: the same number of tickets through `tickets.services.ticket_create`
   directly, in 2 forked processes (each its own connection, like the worker's 2 pool
   processes), same body sizes, HTML share and attachments, each by a new requester made
   with `guest_user_get_or_create` first (the domain's cost of a first ticket from a new
   sender, which is what a new ticket by mail is; `--baseline-requesters existing` reuses
   the seeded requesters instead), in the same department and topic, so with the same
   clocks, events, search document and outbox rows (acknowledgement and agents' notices).

No email is sent in either: the outbox's wake-up key is held in the bench's Redis
database, so no send task is queued (the rows stay unsent in the outbox, as in intake.py),
and the worker's EMAIL_BACKEND is locmem anyway; the script checks nothing was sent.

How to read it:

    messages_per_s   ledger rows processed per second by the worker, over the time a
                     worker was running: from the first worker's ready to the kill, plus
                     from the second worker's ready to the last row it processed. The
                     restart gap and the wait for process_pending are excluded (they are
                     printed), as are the few rows process_pending picked up.
    service_per_s    tickets per second from ticket_create called directly (2 processes).
    ratio            messages_per_s / service_per_s; the issue's target is at least 0.5.
    p50_ms, p95_ms   paced phase, ledger row to processed, at half the measured rate.
    CPU per message  CPU seconds of the worker's processes (main and pool) and of their
    / per ticket     PostgreSQL backends per message, and of the baseline's processes and
                     backends per ticket; cpu_ratio = per ticket / per message. They move
                     less than the rates with what else the shared cores are running.

Absolute rates vary 2x between days on the shared two-core machines; the ratio, measured
in one run, is the figure to compare. The mail phase and the baseline run one after the
other, though, so other work on the cores that starts or stops between them moves the
ratio too (0.24 to 0.33 seen for the same code): compare cpu_ratio, or several runs. The
mail side is also the one that waits more on a busy machine: about 33 queries per new
ticket against ticket_create's 15, and each round trip to PostgreSQL gives up the core.
The last line is JSON.

    DATABASE_URL=postgres://postgres@localhost:5432/helpdesk_bench_mail \\
    REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/mail.py --messages 2000

`--profile cumulative` (or `tottime`) stores the messages and then, instead of the run,
calls `inbound_process` on each in this process under cProfile and prints where the time
goes.

The Redis database it is given is the bench's own: the script clears its Celery queue and
the outbox's wake-up key before and after the run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this folder comes first on sys.path, where bench/queue.py would shadow
# the standard library's queue module (which multiprocessing needs); the root replaces it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
from bench.processes import children_of, cpu_seconds_of  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@localhost:5432/helpdesk_bench_mail"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
MAILBOX = "it@theoffice.example"
CELERY_QUEUE = "celery"  # the default queue: every task of the project goes to it
# kombu's Redis transport keeps delivered, unacknowledged messages under these keys.
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")
CONCURRENCY = 2
BASE_DATE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

WORDS = (
    "printer crm monitor flicker vpn password reset outlook email laptop boot power network "
    "wifi slow excel license badge door phone headset update crash error screen keyboard "
    "mouse dock scanner invoice payroll server backup share drive access the a to and is "
    "it not my since this morning again please help urgent we cannot when I try open"
).split()
FIRST = "Jim Pam Dwight Angela Kevin Oscar Stanley Phyllis Meredith Creed Toby Kelly Ryan".split()
LAST = (
    "Halpert Beesly Schrute Martin Malone Martinez Hudson Vance Palmer Bratton Flenderson".split()
)
DOMAINS = ("example.com", "example.org", "dundermifflin.example", "vance-refrigeration.example")
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"


# The messages -------------------------------------------------------------------------


@dataclass
class Seeded:
    """An existing ticket that replies and auto-replies answer."""

    ticket_id: int
    number: int
    subject: str
    email: str
    name: str
    ack_message_id: str  # with its angle brackets, as stored on the Notification


@dataclass
class Planned:
    """One message and what it must become."""

    raw: bytes
    message_id: str  # without angle brackets, as the ledger keys it
    kind: str  # "new", "reply" or "auto"
    ticket_id: int | None = None  # the existing ticket a reply or auto-reply is about


@dataclass
class Content:
    body: str
    html: str
    files: list[tuple[str, str, bytes]]  # (filename, content type, bytes)


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _paragraphs(rng: random.Random, chars: int) -> str:
    out, size = [], 0
    while size < chars:
        paragraph = _words(rng, rng.randint(12, 60)).capitalize() + "."
        out.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(out)


def _file(rng: random.Random, n: int) -> tuple[str, str, bytes]:
    padding = rng.randbytes(rng.randint(2_000, 30_000))
    if n % 2:
        return (
            f"scan-{n}.pdf",
            "application/pdf",
            PDF + b"% " + padding.hex().encode() + b"\n%%EOF\n",
        )
    return (f"screenshot-{n}.png", "image/png", PNG + padding)


def content_of(rng: random.Random, n: int, *, chars: tuple[int, int]) -> Content:
    """A body of a size drawn from `chars`, HTML three times in ten, a file in 15%."""
    body = _paragraphs(rng, rng.randint(*chars))
    html = ""
    if rng.random() < 0.3:
        html = (
            "<html><body>"
            + "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
            + "<p><b>Sent from my desk</b></p></body></html>"
        )
    files = [_file(rng, n)] if rng.random() < 0.15 else []
    return Content(body=body, html=html, files=files)


def _fixed_boundaries(message: EmailMessage, n: int) -> None:
    for k, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"==bench-{n}-{k}==")


def _message(
    *,
    n: int,
    sender: tuple[str, str],
    subject: str,
    message_id: str,
    content: Content,
    headers: dict[str, str],
) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr(sender)
    message["To"] = formataddr(("IT Help Desk", MAILBOX))
    message["Subject"] = subject
    message["Date"] = format_datetime(BASE_DATE + timedelta(seconds=n))
    message["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        message[name] = value
    message.set_content(content.body)
    if content.html:
        message.add_alternative(content.html, subtype="html")
    for filename, content_type, data in content.files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    _fixed_boundaries(message, n)
    return message.as_bytes(policy=policy.SMTP)


def _quoted(ticket: Seeded) -> str:
    said = (
        "##- Please type your reply above this line -##\n\n"
        f"Hello {ticket.name},\n\nThank you for contacting the help desk. We received your "
        f"request and gave it the number #{ticket.number}:\n\n  {ticket.subject}\n"
    )
    quoted = "\n".join(f"> {line}".rstrip() for line in said.splitlines())
    return f"\n\nOn Tue, 1 Dec 2026 at 09:00, IT Help Desk <{MAILBOX}> wrote:\n{quoted}\n"


def plan_messages(count: int, *, seeded: list[Seeded], start: int = 0, seed: int = 10):
    """`count` messages numbered from `start`: the same bytes for the same arguments."""
    rng = random.Random(seed * 1_000_003 + start)
    planned = []
    for n in range(start, start + count):
        roll = rng.random()
        message_id = f"bench.{n}.{rng.getrandbits(48):012x}@mail.example"
        if roll < 0.72:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            address = f"{name.split()[0].lower()}.{n}@{rng.choice(DOMAINS)}"
            raw = _message(
                n=n,
                sender=(name, address),
                subject=_words(rng, rng.randint(3, 8)).capitalize(),
                message_id=message_id,
                content=content_of(rng, n, chars=(200, 3000)),
                headers={},
            )
            planned.append(Planned(raw, message_id, "new"))
            continue
        ticket = rng.choice(seeded)
        threading = {"In-Reply-To": ticket.ack_message_id, "References": ticket.ack_message_id}
        if roll < 0.90:
            content = content_of(rng, n, chars=(50, 800))
            content.body += _quoted(ticket)
            subject = f"Re: [#{ticket.number}] We received your request: {ticket.subject}"
            headers = threading
            kind = "reply"
        else:
            content = Content(
                body=f"I am out of the office until Monday. {_words(rng, 20)}.", html="", files=[]
            )
            if n % 2:
                subject, headers = (
                    f"Automatic reply: {ticket.subject}",
                    {
                        **threading,
                        "Auto-Submitted": "auto-replied",
                    },
                )
            else:
                subject, headers = (
                    f"Out of Office: {ticket.subject}",
                    {
                        **threading,
                        "X-Autoreply": "yes",
                    },
                )
            kind = "auto"
        raw = _message(
            n=n,
            sender=(ticket.name, ticket.email),
            subject=subject,
            message_id=message_id,
            content=content,
            headers=headers,
        )
        planned.append(Planned(raw, message_id, kind, ticket.ticket_id))
    return planned


# The help desk ------------------------------------------------------------------------


@dataclass
class Desk:
    department: object
    topic: object
    mailbox: object
    seeded: list[Seeded]
    requesters: list


def seed_desk(*, tickets: int) -> Desk:
    from accounts.models import Agent, Department, DepartmentMembership, User
    from accounts.services import guest_user_get_or_create
    from mail.models import Mailbox
    from sla.models import SLAPlan
    from tickets.models import HelpTopic, Notification, Source
    from tickets.outbox import new_message_id
    from tickets.services import ticket_assign, ticket_create

    plan = SLAPlan.objects.create(
        name="Standard", first_response_minutes=240, resolution_minutes=2880, is_default=True
    )
    it = Department.objects.create(name="IT", default_sla_plan=plan)
    topic = HelpTopic.objects.create(name="Email", department=it)
    mailbox = Mailbox.objects.create(
        address=MAILBOX, department=it, help_topic=topic, transport=Mailbox.Transport.PIPE
    )
    agents = []
    for email, name, role in (
        ("kevin.benavides@theoffice.example", "Kevin Benavides", "manager"),
        ("ryan.howard@theoffice.example", "Ryan Howard", "agent"),
        ("darryl.philbin@theoffice.example", "Darryl Philbin", "agent"),
    ):
        user = User.objects.create_user(email, password="bench-only", display_name=name)
        agent = Agent.objects.create(user=user)
        DepartmentMembership.objects.create(agent=agent, department=it, role=role)
        agents.append(agent)
    rng = random.Random(3)
    requesters = []
    for k in range(max(10, tickets)):
        name = f"{FIRST[k % len(FIRST)]} {LAST[k % len(LAST)]}"
        email = f"requester{k}@{DOMAINS[k % len(DOMAINS)]}"
        requesters.append(guest_user_get_or_create(email=email, display_name=name))
    created = []
    for k in range(tickets):
        requester = requesters[k]
        ticket = ticket_create(
            requester=requester,
            by=requester,
            subject=_words(rng, rng.randint(3, 8)).capitalize(),
            body=_paragraphs(rng, rng.randint(200, 1500)),
            help_topic=topic,
            source=Source.EMAIL,
        )
        if k % 2:
            ticket = ticket_assign(ticket=ticket, agent=agents[1 + k % 2], by=agents[0].user)
        created.append((ticket, requester))
    # As the outbox does when it sends (tickets/outbox/send.py): each email gets its
    # Message-ID; here they are marked sent too, as they were before the bench began.
    now = datetime.now(UTC)
    unsent = list(Notification.objects.filter(sent_at__isnull=True))
    for notification in unsent:
        notification.message_id = new_message_id()
        notification.sent_at = now
    Notification.objects.bulk_update(unsent, ["message_id", "sent_at"])
    acks = dict(
        Notification.objects.filter(kind=Notification.Kind.REQUESTER_ACKNOWLEDGEMENT).values_list(
            "ticket_id", "message_id"
        )
    )
    seeded = [
        Seeded(t.pk, t.number, t.subject, r.email, r.display_name, acks[t.pk]) for t, r in created
    ]
    return Desk(it, topic, mailbox, seeded, requesters)


# The worker ---------------------------------------------------------------------------


def worker_env(args) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def start_worker(args, log_path: Path):
    from tests.support.celery_harness import CeleryWorker

    worker = CeleryWorker(env=worker_env(args), log_path=log_path, concurrency=CONCURRENCY)
    worker.start()
    worker.wait_ready()
    return worker, time.time()


def cpu_snapshot(args, pids: list[int]) -> dict[int, float]:
    """CPU seconds so far of `pids`, their children, and this database's PostgreSQL
    backends but the bench's own: what the work costs, whatever else the cores run."""
    import psycopg2
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        ours = cursor.fetchone()[0]
    admin = psycopg2.connect(args.database_url)
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND pid <> %s",
            [ours],
        )
        backends = [row[0] for row in cursor.fetchall()]
    admin.close()
    every = [*pids, *(child for pid in pids for child in children_of(pid)), *backends]
    return {pid: cpu_seconds_of(pid) for pid in every}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _redis(args):
    import redis

    return redis.Redis.from_url(args.redis_url)


def clear_broker(args) -> None:
    """The bench's Redis database: no task left from an earlier run, none held unacked."""
    from django.core.cache import cache

    from tickets.outbox.queue import WAKE_KEY

    _redis(args).delete(CELERY_QUEUE, *UNACKED_KEYS)
    cache.delete(WAKE_KEY)


def hold_outbox(args) -> None:
    """Make every outbox wake-up see a send task already on its way: none is queued."""
    from django.core.cache import cache

    from tickets.outbox.queue import WAKE_KEY

    cache.set(WAKE_KEY, 1, timeout=None)


def _pending() -> int:
    from mail.models import InboundMessage

    return InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).count()


def _wait(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"gave up after {timeout:.0f} s waiting for {what}")


def _drained(args, state: dict) -> bool:
    """The queue is empty and nothing was processed for two seconds: what is still pending
    now had its task die with the killed worker."""
    pending = _pending()
    if pending == 0:
        return True
    now = time.monotonic()
    if _redis(args).llen(CELERY_QUEUE) or pending != state.get("pending"):
        state.update(pending=pending, since=now)
        return False
    return now - state["since"] >= 2.0


def _last_processed_after(moment: float) -> float | None:
    from django.db.models import Max

    from mail.models import InboundMessage

    last = InboundMessage.objects.filter(
        processed_at__gte=datetime.fromtimestamp(moment, UTC)
    ).aggregate(last=Max("processed_at"))["last"]
    return last.timestamp() if last else None


def run_workers(args, count: int, logs: Path) -> dict:
    """Process the stored rows: kill the worker halfway, restart, recover. Returns figures."""
    timeout = 120 + count * 0.5
    worker, ready = start_worker(args, logs / "worker-1.log")
    cpu_before = cpu_snapshot(args, [worker.pid])
    if args.no_kill:
        try:
            _wait(lambda: _pending() == 0, timeout=timeout, what="the worker to finish")
        except BaseException:
            worker.stop()
            raise
        end = _last_processed_after(ready)
        cpu = cpu_used(cpu_before, cpu_snapshot(args, [worker.pid]))
        return {
            "worker": worker,
            "active_s": end - ready,
            "cpu_s": cpu,
            "killed_at": None,
            "recovered": 0,
        }
    try:
        left = count // 2
        _wait(lambda: _pending() <= left, timeout=timeout, what="half the rows", interval=0.05)
        cpu = cpu_used(cpu_before, cpu_snapshot(args, [worker.pid]))
        worker.kill()  # SIGKILL to the whole process group, as a crashed machine
    finally:
        worker.stop()
    killed = time.time()
    done_before_kill = count - _pending()
    print(
        f"SIGKILL of the worker's process group after {killed - ready:.1f} s, "
        f"{done_before_kill:,} of {count:,} rows processed "
        f"({done_before_kill / (killed - ready):.1f} rows/s until then)"
    )
    worker, ready2 = start_worker(args, logs / "worker-2.log")
    cpu_before = cpu_snapshot(args, [worker.pid])
    try:
        recovery = _drain_and_recover(args, timeout=timeout, killed=killed, ready=ready2)
        cpu += cpu_used(cpu_before, cpu_snapshot(args, [worker.pid]))
    except BaseException:
        worker.stop()
        raise
    return {
        "worker": worker,
        "active_s": (killed - ready) + (recovery["end"] - ready2),
        "cpu_s": cpu,
        "killed_at": done_before_kill,
        "pre_kill_per_s": done_before_kill / (killed - ready),
        "restart_s": ready2 - killed,
        "recovered": recovery["recovered"],
        "recovered_s": recovery["recovered_s"],
    }


def _drain_and_recover(args, *, timeout: float, killed: float, ready: float) -> dict:
    """Wait for the new worker to empty the queue, then let beat's task take the rows whose
    tasks died with the old one."""
    from common.enqueue import enqueue
    from mail.models import InboundMessage
    from mail.tasks import STALE_SECONDS

    state: dict = {}
    _wait(lambda: _drained(args, state), timeout=timeout, what="the queue to drain")
    end = _last_processed_after(ready) or ready
    orphans = list(
        InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).values_list(
            "received_at", flat=True
        )
    )
    print(
        f"restart: new worker ready {ready - killed:.1f} s after the kill, queue drained "
        f"{end - ready:.1f} s later; {len(orphans)} row(s) still pending (their tasks died)"
    )
    recovered_s = 0.0
    if orphans:
        # Beat's task takes rows pending for longer than STALE_SECONDS; these are older
        # than that unless the run was short, and then the wait is short too.
        oldest = min(orphans).timestamp()
        time.sleep(max(0.0, oldest + STALE_SECONDS + 1 - time.time()))
        started = time.time()
        enqueue("mail.process_pending")
        _wait(lambda: _pending() == 0, timeout=60, what="mail.process_pending to finish")
        recovered_s = time.time() - started
        print(f"mail.process_pending, queued as beat does, processed them in {recovered_s:.1f} s")
    return {"end": end, "recovered": len(orphans), "recovered_s": recovered_s}


def paced_phase(*, mailbox, planned: list[Planned], rate: float) -> dict:
    """Store messages one by one at `rate` per second while the worker runs."""
    from mail.ledger import inbound_store
    from mail.models import InboundMessage

    interval = 1 / rate
    started = time.monotonic()
    ids = []
    for k, message in enumerate(planned):
        time.sleep(max(0.0, started + k * interval - time.monotonic()))
        row, _ = inbound_store(mailbox=mailbox, raw=message.raw, source="pipe")
        ids.append(row.pk)
    rows = InboundMessage.objects.filter(pk__in=ids)
    _wait(
        lambda: not rows.filter(status=InboundMessage.Status.PENDING).exists(),
        timeout=60 + len(ids),
        what="the paced messages",
    )
    latencies = sorted(
        (done - received).total_seconds() * 1000
        for received, done in rows.values_list("received_at", "processed_at")
    )
    return {
        "paced": len(ids),
        "paced_rate": rate,
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 95),
        "max_ms": latencies[-1],
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# The checks ---------------------------------------------------------------------------


def check(planned: list[Planned], *, seeded: list[Seeded], ticket_floor: int, entry_floor: int):
    """Every message once: (lost, duplicates, details)."""
    from collections import Counter

    from django.db.models import Count

    from mail.models import InboundMessage
    from tickets.models import Notification, ThreadEntry, Ticket

    Outcome = InboundMessage.Outcome
    expected_outcome = {
        "new": Outcome.NEW_TICKET,
        "reply": Outcome.MESSAGE,
        "auto": Outcome.AUTO_REPLY,
    }
    rows = {
        message_id: (status, outcome, ticket_id, entry_id)
        for message_id, status, outcome, ticket_id, entry_id in InboundMessage.objects.values_list(
            "message_id", "status", "outcome", "ticket_id", "entry_id"
        )
    }
    lost = wrong = 0
    for message in planned:
        row = rows.get(message.message_id)
        if row is None or row[0] == InboundMessage.Status.PENDING or not row[1]:
            lost += 1
            continue
        _status, outcome, ticket_id, entry_id = row
        if outcome != expected_outcome[message.kind]:
            wrong += 1
        elif message.kind != "auto" and entry_id is None:
            lost += 1
        elif message.kind != "new" and ticket_id != message.ticket_id:
            wrong += 1

    new_expected = sum(1 for m in planned if m.kind == "new")
    tickets_made = Ticket.objects.filter(pk__gt=ticket_floor).count()
    # Entries each ticket got from this run: one on each new ticket, one per reply on the
    # seeded ones, none for auto-replies.
    expected_entries = Counter(m.ticket_id for m in planned if m.kind == "reply")
    entries = dict(
        ThreadEntry.objects.filter(pk__gt=entry_floor)
        .values("ticket_id")
        .annotate(n=Count("id"))
        .values_list("ticket_id", "n")
    )
    seeded_ids = {s.ticket_id for s in seeded}
    extra_entries = sum(
        max(0, n - (expected_entries.get(ticket_id, 0) if ticket_id in seeded_ids else 1))
        for ticket_id, n in entries.items()
    )
    duplicates = max(0, tickets_made - new_expected) + extra_entries
    acks = Notification.objects.filter(
        kind=Notification.Kind.REQUESTER_ACKNOWLEDGEMENT, ticket_id__gt=ticket_floor
    ).count()
    details = {
        "tickets_made": tickets_made,
        "tickets_expected": new_expected,
        "entries_made": sum(entries.values()),
        "entries_expected": new_expected + sum(expected_entries.values()),
        "misrouted": wrong,
        "acknowledgements": acks,
        "quarantined": InboundMessage.objects.filter(
            status=InboundMessage.Status.QUARANTINED
        ).count(),
        "kinds": dict(Counter(m.kind for m in planned)),
    }
    return lost, duplicates, details


# The baseline: ticket_create itself ----------------------------------------------------


def _baseline_child(specs, requester_ids, topic_id, barrier, results, release, new) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from accounts.models import User
    from accounts.services import guest_user_get_or_create
    from tickets.models import HelpTopic, Source
    from tickets.services import ticket_create

    topic = HelpTopic.objects.select_related("department", "sla_plan").get(pk=topic_id)
    requesters = list(User.objects.filter(pk__in=requester_ids))
    barrier.wait(timeout=120)
    started = time.perf_counter()
    for k, (subject, content) in enumerate(specs):
        if new:  # a first-time requester, as a new ticket by mail comes from a new sender
            requester = guest_user_get_or_create(
                email=f"baseline{os.getpid()}-{k}@example.org", display_name=f"Base {k}"
            )
        else:
            requester = requesters[k % len(requesters)]
        ticket_create(
            requester=requester,
            by=requester,
            subject=subject,
            body=content.body,
            help_topic=topic,
            source=Source.EMAIL,
            attachments=[
                SimpleUploadedFile(name, data, ctype) for name, ctype, data in content.files
            ],
            html=content.html,
        )
    elapsed = time.perf_counter() - started
    results.put((len(specs), elapsed))
    release.wait(timeout=60)  # alive until the parent has read our CPU time
    connection.close()


def run_baseline(args, *, count: int, desk: Desk, processes: int = CONCURRENCY) -> dict:
    """`count` tickets through ticket_create, split over `processes` forked processes."""
    import multiprocessing

    from django.db import connection

    rng = random.Random(20)
    specs = [
        (_words(rng, rng.randint(3, 8)).capitalize(), content_of(rng, n, chars=(200, 3000)))
        for n in range(count)
    ]
    requester_ids = [user.pk for user in desk.requesters]
    connection.close()  # each child opens its own
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    release = context.Event()
    children = [
        context.Process(
            target=_baseline_child,
            args=(
                specs[k::processes],
                requester_ids,
                desk.topic.pk,
                barrier,
                results,
                release,
                args.baseline_requesters == "new",
            ),
        )
        for k in range(processes)
    ]
    for child in children:
        child.start()
    pids = [child.pid for child in children]
    barrier.wait(timeout=120)
    started = time.perf_counter()
    cpu_before = cpu_snapshot(args, pids)
    parts = [results.get(timeout=120 + count) for _ in children]
    elapsed = time.perf_counter() - started
    cpu = cpu_used(cpu_before, cpu_snapshot(args, pids))
    release.set()
    for child in children:
        child.join(timeout=30)
    return {"created": sum(n for n, _ in parts), "elapsed_s": elapsed, "cpu_s": cpu}


# Putting it together ------------------------------------------------------------------


def configure(args) -> None:
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            # As in production: DEBUG on would make Django keep every query in memory.
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-not-a-secret",
            "CELERY_TASK_ALWAYS_EAGER": "0",  # inbound_store queues its task on Redis
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "MEDIA_ROOT": args.media_root,
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")


def store_all(mailbox, planned: list[Planned]) -> float:
    from mail.ledger import inbound_store

    started = time.perf_counter()
    for message in planned:
        _, created = inbound_store(mailbox=mailbox, raw=message.raw, source="pipe")
        assert created, message.message_id
    return time.perf_counter() - started


def profile(planned: list[Planned], *, sort: str) -> None:
    """inbound_process in this process under cProfile, for each stored row: where the time
    goes (no worker, no Celery: only the processing itself)."""
    import cProfile
    import pstats

    from mail.models import InboundMessage
    from mail.processing import inbound_process

    ids = list(
        InboundMessage.objects.filter(message_id__in=[m.message_id for m in planned])
        .order_by("id")
        .values_list("id", flat=True)
    )
    # The first half without the profiler: the time and this process's CPU per row.
    half, started, cpu = len(ids) // 2, time.perf_counter(), time.process_time()
    for pk in ids[:half]:
        inbound_process(inbound_id=pk)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"in-process: {half} rows, {elapsed * 1000 / half:.1f} ms each, of which "
        f"{cpu * 1000 / half:.1f} ms CPU in this process (the rest: PostgreSQL, waits)"
    )
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for pk in ids[half:]:
        inbound_process(inbound_id=pk)
    profiler.disable()
    elapsed = time.perf_counter() - started
    rows = len(ids) - half
    print(f"profile: {rows} rows in {elapsed:.1f} s, {elapsed * 1000 / rows:.1f} ms each")
    stats = pstats.Stats(profiler).sort_stats(sort)
    stats.print_stats(40)
    stats.print_callees(
        r"processing.py:\d+\((inbound_process|_process|_new_ticket|_into_ticket)\)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument(
        "--tickets", type=int, default=0, help="existing tickets (default: messages / 20)"
    )
    parser.add_argument(
        "--paced", type=int, default=-1, help="messages of the paced phase (default: 5%%)"
    )
    parser.add_argument("--no-kill", action="store_true", help="a clean run, no SIGKILL")
    parser.add_argument(
        "--baseline-requesters",
        choices=["new", "existing"],
        default="new",
        help="the baseline's requesters: a new guest per ticket, as each new ticket by mail "
        "comes from a new sender (default), or the seeded requesters again",
    )
    parser.add_argument(
        "--profile",
        choices=["cumulative", "tottime"],
        help="instead of the run: cProfile inbound_process in-process on the stored rows",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    args = parser.parse_args()
    if args.messages < 10:
        parser.error("--messages must be at least 10")
    tickets = args.tickets or max(20, min(1000, args.messages // 20))
    paced = args.paced if args.paced >= 0 else max(50, min(500, args.messages // 20))
    scratch = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    args.media_root = str(scratch / "media")
    configure(args)

    from bench.sla_sweep import recreate_database

    recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    clear_broker(args)
    print(
        f"parameters: messages={args.messages} existing_tickets={tickets} paced={paced} "
        f"worker_concurrency={CONCURRENCY} kill={not args.no_kill} cpus={os.cpu_count()}"
    )
    from tickets.models import Notification, ThreadEntry, Ticket

    hold_outbox(args)
    started = time.perf_counter()
    desk = seed_desk(tickets=tickets)
    ticket_floor = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    entry_floor = ThreadEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    sent_before = Notification.objects.filter(sent_at__isnull=False).count()
    planned = plan_messages(args.messages, seeded=desk.seeded)
    later = plan_messages(paced, seeded=desk.seeded, start=args.messages) if paced else []
    print(
        f"seeded {tickets} tickets and built {len(planned) + len(later):,} messages "
        f"({sum(len(m.raw) for m in planned) / len(planned) / 1024:.1f} KiB on average) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    stored_s = store_all(desk.mailbox, planned)
    print(f"stored {len(planned):,} ledger rows in {stored_s:.1f} s, no worker running")
    if args.profile:
        profile(planned, sort=args.profile)
        clear_broker(args)
        return

    run = run_workers(args, len(planned), scratch)
    try:
        messages_per_s = len(planned) / run["active_s"]
        mail_cpu_ms = run["cpu_s"] * 1000 / len(planned)
        print(
            f"mail: {len(planned):,} messages in {run['active_s']:.1f} s of worker time: "
            f"{messages_per_s:.1f} messages/s; CPU per message {mail_cpu_ms:.1f} ms "
            "(worker processes and their PostgreSQL backends)"
        )
        latency = {"paced": 0, "p50_ms": None, "p95_ms": None}
        if later:
            latency = paced_phase(mailbox=desk.mailbox, planned=later, rate=messages_per_s / 2)
            print(
                f"paced: {latency['paced']} messages at {latency['paced_rate']:.1f}/s, ledger "
                f"to ticket p50 {latency['p50_ms']:.0f} ms, p95 {latency['p95_ms']:.0f} ms, "
                f"max {latency['max_ms']:.0f} ms"
            )
    finally:
        run["worker"].stop()
    lost, duplicates, details = check(
        planned + later, seeded=desk.seeded, ticket_floor=ticket_floor, entry_floor=entry_floor
    )
    print(
        f"check: {lost} lost, {duplicates} duplicates, {details['misrouted']} misrouted; "
        f"tickets {details['tickets_made']:,}/{details['tickets_expected']:,}, "
        f"entries {details['entries_made']:,}/{details['entries_expected']:,}, "
        f"acknowledgements queued {details['acknowledgements']:,}, "
        f"quarantined {details['quarantined']}; mix {details['kinds']}"
    )

    baseline_floor = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    baseline = run_baseline(args, count=len(planned), desk=desk)
    service_per_s = baseline["created"] / baseline["elapsed_s"]
    made = Ticket.objects.filter(pk__gt=baseline_floor).count()
    assert made == baseline["created"] == len(planned), (made, baseline)
    service_cpu_ms = baseline["cpu_s"] * 1000 / made
    print(
        f"service: {made:,} tickets through ticket_create in {CONCURRENCY} processes in "
        f"{baseline['elapsed_s']:.1f} s: {service_per_s:.1f} tickets/s; CPU per ticket "
        f"{service_cpu_ms:.1f} ms (processes and their PostgreSQL backends)"
    )
    sent = Notification.objects.filter(sent_at__isnull=False).count() - sent_before
    unsent = Notification.objects.filter(sent_at__isnull=True).count()
    print(f"outbox: {unsent:,} emails queued, {sent} sent during the run")
    ratio = messages_per_s / service_per_s
    cpu_ratio = service_cpu_ms / mail_cpu_ms
    print(
        f"ratio: {ratio:.2f} (mail / ticket_create; target >= 0.5: "
        f"{'met' if ratio >= 0.5 else 'NOT met'}); by CPU per item: {cpu_ratio:.2f}"
    )
    clear_broker(args)
    summary = {
        "messages": len(planned),
        "messages_per_s": round(messages_per_s, 1),
        "service_per_s": round(service_per_s, 1),
        "baseline_requesters": args.baseline_requesters,
        "ratio": round(ratio, 3),
        "cpu_ms_per_message": round(mail_cpu_ms, 1),
        "cpu_ms_per_ticket": round(service_cpu_ms, 1),
        "cpu_ratio": round(cpu_ratio, 3),
        "p50_ms": round(latency["p50_ms"]) if latency["p50_ms"] is not None else None,
        "p95_ms": round(latency["p95_ms"]) if latency["p95_ms"] is not None else None,
        "paced_messages": latency["paced"],
        "lost": lost,
        "duplicates": duplicates,
        "misrouted": details["misrouted"],
        "killed_after": run.get("killed_at"),
        "recovered_by_process_pending": run["recovered"],
        "restart_s": round(run.get("restart_s", 0), 1),
        "emails_sent": sent,
        "existing_tickets": tickets,
        "concurrency": CONCURRENCY,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
