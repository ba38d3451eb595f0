"""Child programs of the contact-center benchmarks (``python -m brief.calls.bench_child``).

``history N LOOKUPS`` fills a fresh SQLite database (``DATABASE_URL``) with N message rows and
N/10 interactions of N/10 people (set-based ``INSERT … SELECT`` over a recursive sequence, the
indexes built after the rows), then times ``calls.history.beneficiary_history`` for LOOKUPS
random people against the same look-ups done index-only in raw sqlite3, and prints the figures
and, per person looked up, the rows returned and the rows generated for them.

``claims N ADVISORS`` fills the call queue of a brief on PostgreSQL (``DATABASE_URL``) with N
contacts and lets ADVISORS threads (one connection each) claim with ``calls.actions.claim_next``
and settle with ``settle_queue_entry`` until it is empty; then the queue is reopened and the
same threads claim with raw ``SELECT … FOR UPDATE SKIP LOCKED`` through psycopg. Prints both
rates and every claim (who got which contact).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import sys
import threading
import time
from typing import Any

EPOCH = 1_767_225_600  # 2026-01-01 00:00 UTC: the generated rows' clock starts here
DOC0 = 10_000_000  # person p has the document DOC0 + p
QUEUED_EVERY = 13  # every 13th message was never handed to the provider (not a contact)
SWEEPS = 40  # 20 briefs, an SMS and an e-mail sweep each
SWEEP_STEP = 37


def expected_rows(p: int, messages: int, people: int) -> tuple[int, int]:
    """(messages handed to the provider, interactions) generated for person ``p``: message
    ``i`` belongs to ``i % people``, interaction ``j`` of ``N/10`` to ``j % people``."""
    sent = sum(1 for i in range(p, messages, people) if i % QUEUED_EVERY)
    interactions = len(range(p, messages // 10, people))
    return sent, interactions


def _setup() -> None:
    import django

    django.setup()
    from brief.core.bench import migrate_fresh

    migrate_fresh()


def _user() -> Any:
    from brief.accounts.models import Area, Provider, User

    area = Area.objects.create(code="bench", name="Bench")
    provider = Provider.objects.create(code="bench-bpo", name="BPO")
    user = User.objects.create_user("bench", area=area)
    user.is_superuser = True
    user.save()
    return area, provider, user


def _sequence(n: int) -> str:
    return f"WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {n - 1})"


def _fill_history(messages: int) -> dict[str, Any]:
    """Briefs, sweeps and templates by the ORM (few rows); contacts, messages and
    interactions by set-based SQL. Returns the ids the look-ups need."""
    from django.db import connection, transaction

    from brief.calls.models import Interaction, TypificationNode
    from brief.campaigns.models import Brief
    from brief.contacts.models import Contact, ContactBase
    from brief.content.models import Template
    from brief.core.bench import without_indexes
    from brief.dispatch.models import Message, ProviderAccount, Sweep

    area, provider, user = _user()
    people = max(messages // 10, 1)
    account = ProviderAccount.objects.create(
        code="simulado", name="Simulado", channels=["sms", "email"], backend="x.Simulated"
    )
    briefs = [
        Brief.objects.create(
            code=f"BRF-BENCH-{k:04d}", area=area, requester=user, provider=provider,
            name=f"Campaña {k}", status="executing", channels=["sms", "email", "call"],
        )
        for k in range(SWEEPS // 2 + 1)
    ]  # fmt: skip
    base = ContactBase.objects.create(
        brief=briefs[0], source_name="bench.csv", created_by=user, status="ready"
    )
    sweeps = []
    for k in range(SWEEPS):
        brief, channel = briefs[k // 2], ("sms", "email")[k % 2]
        template = Template.objects.create(
            brief=brief, channel=channel, name=channel, created_by=user,
            body="Hola {nombres}, su saldo es {saldo}.", subject="Aviso ICETEX",
            text="Hola {nombres}, su saldo es {saldo}.",
        )  # fmt: skip
        template.frozen_sha256 = template.content_digest()  # sent templates are frozen
        template.save(update_fields=["frozen_sha256"])
        sweeps.append(
            Sweep.objects.create(
                brief=brief,
                number=k % 2 + 1,
                channel=channel,
                template=template,
                base=base,
                provider_account=account,
                state="done",
                created_by=user,
            )
        )
    calls = briefs[-1]
    leaf = TypificationNode.objects.create(
        brief=calls, level="category", code="CD", label="Contacto directo",
        counts_as_contact=True, right_party=True,
    )  # fmt: skip
    first_sweep = sweeps[0].pk
    assert [s.pk for s in sweeps] == list(range(first_sweep, first_sweep + SWEEPS))
    contact, message, interaction = (
        Contact._meta.db_table,
        Message._meta.db_table,
        Interaction._meta.db_table,
    )
    with transaction.atomic(), connection.cursor() as cursor:

        def contacts() -> None:
            cursor.execute(
                f"{_sequence(people)} INSERT INTO {contact} (id, base_id, row, doc_type, "
                "doc_number, first_names, last_names, full_name, mobile, landline, phones, "
                "email, emails, country, abroad, city, department, custom, can_sms, "
                "can_whatsapp, can_email, can_voice, can_call, observations) "
                f"SELECT i + 1, {base.pk}, i + 2, 'CC', {DOC0} + i, 'Ana', 'Pérez', 'Ana Pérez', "
                "'+57300' || (1000000 + i), '', '[]', 'p' || i || '@correo.co', '[]', "
                "'Colombia', 0, 'Bogotá', '', '{\"Saldo\": \"' || i || '\"}', 1, 1, 1, 1, 1, '' "
                "FROM seq"
            )

        def outbox() -> None:
            cursor.execute(
                f"{_sequence(messages)} INSERT INTO {message} (id, sweep_id, contact_id, "
                'person, "to", status, rank, provider_message_id, error_code, error_detail, '
                "permanent, fallback, attempts, sent_at, updated_at) "
                f"SELECT i + 1, {first_sweep} + k, p + 1, 'CC:' || ({DOC0} + p), "
                "CASE k % 2 WHEN 0 THEN '+57300' || (1000000 + p) ELSE 'p' || p || '@correo.co' "
                f"END, CASE WHEN i % {QUEUED_EVERY} = 0 THEN 'queued' ELSE 'delivered' END, "
                f"CASE WHEN i % {QUEUED_EVERY} = 0 THEN 0 ELSE 5 END, '', '', '', 0, 0, "
                f"CASE WHEN i % {QUEUED_EVERY} = 0 THEN 0 ELSE 1 END, "
                f"CASE WHEN i % {QUEUED_EVERY} = 0 THEN NULL "
                f"ELSE datetime({EPOCH} + i, 'unixepoch') END, datetime({EPOCH} + i, 'unixepoch') "
                f"FROM (SELECT i, i % {people} AS p, "
                f"((i / {people}) * {SWEEP_STEP} + i % {people}) % {SWEEPS} AS k FROM seq)"
            )

        def interactions() -> None:
            cursor.execute(
                f"{_sequence(messages // 10)} INSERT INTO {interaction} (code, channel, "
                "brief_id, contact_id, person, address, external_id, provider_status, "
                "started_at, typification_id, observations, answers, completeness, billable, "
                "exclusions, created_by_id, created_at, updated_at) "
                f"SELECT 'INT-B' || i, 'call', {calls.pk}, i % {people} + 1, "
                f"'CC:' || ({DOC0} + i % {people}), '+57300' || (1000000 + i % {people}), '', '', "
                f"datetime({EPOCH} + 7 * i, 'unixepoch'), {leaf.pk}, 'Observación ' || i, "
                f"'{{}}', 50, 0, '[\"no_audio\", \"no_screen\"]', {user.pk}, "
                f"datetime({EPOCH}, 'unixepoch'), datetime({EPOCH}, 'unixepoch') FROM seq"
            )

        without_indexes(cursor, contact, contacts)
        without_indexes(cursor, message, outbox)
        if messages >= 10:
            without_indexes(cursor, interaction, interactions)
    return {"user": user, "people": people}


def history(n: str, lookups: str) -> dict[str, Any]:
    """Fill, then time the history of ``lookups`` random people (and the raw reference)."""
    _setup()
    from django.db import connection

    from brief.calls.history import beneficiary_history

    messages, count = int(n), int(lookups)
    t0 = time.perf_counter()
    filled = _fill_history(messages)
    fill_seconds = time.perf_counter() - t0
    user, people = filled["user"], filled["people"]
    rng = random.Random(11)
    sample = [rng.randrange(people) for _ in range(count)]
    for p in sample[:10]:  # warm the caches, as a running server has them
        beneficiary_history(user, "document", str(DOC0 + p), via="api")
    times, returned = [], {}
    for p in sample:
        start = time.perf_counter()
        result = beneficiary_history(user, "document", str(DOC0 + p), via="api")
        times.append(time.perf_counter() - start)
        kinds = [e.kind for e in result.entries]
        returned[p] = [kinds.count("message"), kinds.count("interaction")]
    connection.close()
    raw = sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
    ref_times = []
    for p in sample:
        start = time.perf_counter()
        raw.execute(
            "SELECT count(*) FROM contacts_contact WHERE doc_number = ?", [str(DOC0 + p)]
        ).fetchall()
        key = f"CC:{DOC0 + p}"
        raw.execute("SELECT id FROM dispatch_message WHERE person = ?", [key]).fetchall()
        raw.execute("SELECT started_at FROM calls_interaction WHERE person = ?", [key]).fetchall()
        ref_times.append(time.perf_counter() - start)
    plans = {
        "message": raw.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM dispatch_message WHERE person = ?", ["x"]
        ).fetchall()[0][-1],
        "interaction": raw.execute(
            "EXPLAIN QUERY PLAN SELECT started_at FROM calls_interaction WHERE person = ?", ["x"]
        ).fetchall()[0][-1],
    }
    raw.close()
    return {
        "messages": messages,
        "people": people,
        "fill_seconds": fill_seconds,
        "times": times,
        "ref_times": ref_times,
        "returned": {str(p): v for p, v in returned.items()},
        "reference_plans": plans,
    }


# --- the call queue on PostgreSQL ----------------------------------------------------------


def _queue(n: int, advisors: int) -> tuple[Any, list[Any], Any]:
    from brief.accounts.actions import set_roles
    from brief.calls.actions import fill_queue
    from brief.calls.models import TypificationNode
    from brief.campaigns.models import AdvisorAssignment, Brief
    from brief.contacts.models import Contact, ContactBase
    from brief.core.roles import Role

    area, provider, user = _user()
    set_roles(user, [Role.PROVEEDOR])
    brief = Brief.objects.create(
        code="BRF-BENCH-COLA", area=area, requester=user, provider=provider,
        name="Cola", status="executing", channels=["call"],
    )  # fmt: skip
    leaf = TypificationNode.objects.create(
        brief=brief, level="category", code="CD", label="Efectivo", effective=True
    )
    base = ContactBase.objects.create(
        brief=brief, source_name="cola.csv", created_by=user, status="ready"
    )
    Contact.objects.bulk_create(
        (
            Contact(base=base, row=i + 2, doc_type="CC", doc_number=str(DOC0 + i),
                    full_name=f"Persona {i}", mobile=f"+57300{1_000_000 + i}", can_call=True)
            for i in range(n)
        ),
        batch_size=5000,
    )  # fmt: skip
    fill_queue(brief)
    team = []
    for k in range(advisors):
        advisor = user.__class__.objects.create_user(f"asesor-{k}", provider=provider)
        set_roles(advisor, [Role.ASESOR])
        AdvisorAssignment.objects.create(brief=brief, advisor=advisor, assigned_by=user)
        team.append(user.__class__.objects.get(pk=advisor.pk))
    return brief, team, leaf


def _race(advisors: list[Any], work) -> tuple[float, list[list[Any]]]:
    """Run ``work(index, advisor, out)`` in one thread per advisor, all started together."""
    got: list[list[Any]] = [[] for _ in advisors]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(advisors) + 1)

    def run(k: int, advisor: Any) -> None:
        try:
            barrier.wait()
            work(k, advisor, got[k])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k, a)) for k, a in enumerate(advisors)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return seconds, got


def claims(n: str, advisors: str) -> dict[str, Any]:
    """``claim_next`` + ``settle_queue_entry`` by each advisor until the queue is empty, then
    raw ``FOR UPDATE SKIP LOCKED`` claims with psycopg on the reopened queue."""
    _setup()
    import psycopg
    from django.db import connection

    from brief.calls.actions import claim_next, settle_queue_entry
    from brief.calls.models import Interaction, QueueEntry
    from brief.core.calendar import BOGOTA

    size, team_size = int(n), int(advisors)
    brief, team, leaf = _queue(size, team_size)
    now = dt.datetime(2026, 12, 9, 10, 0, tzinfo=BOGOTA)  # a Wednesday inside the window

    def orm(_k: int, advisor: Any, out: list) -> None:
        try:
            while (entry := claim_next(advisor, brief, now=now)) is not None:
                out.append(entry.contact_id)
                call = Interaction(
                    brief=brief,
                    contact_id=entry.contact_id,
                    channel="call",
                    typification=leaf,
                    started_at=now,
                )
                settle_queue_entry(call)
        finally:
            connection.close()

    seconds, got = _race(team, orm)
    settled = QueueEntry.objects.filter(brief=brief, closed=True, attempts=1).count()
    QueueEntry.objects.filter(brief=brief).update(
        closed=False, holder=None, held_until=None, attempts=0
    )
    table = QueueEntry._meta.db_table
    url = os.environ["DATABASE_URL"]
    pick = (
        f"SELECT id, contact_id FROM {table} WHERE brief_id = %s AND NOT closed "
        "AND (holder_id IS NULL OR held_until < %s) "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
        "ORDER BY next_attempt_at NULLS FIRST, id LIMIT 1 FOR UPDATE SKIP LOCKED"
    )

    def raw(_k: int, advisor: Any, out: list) -> None:
        with psycopg.connect(url) as conn:
            while True:
                with conn.transaction():
                    row = conn.execute(pick, [brief.pk, now, now]).fetchone()
                    if row is None:
                        break
                    conn.execute(
                        f"UPDATE {table} SET holder_id = %s, held_until = %s WHERE id = %s",
                        [advisor.pk, now + dt.timedelta(minutes=10), row[0]],
                    )
                out.append(row[1])
                with conn.transaction():
                    conn.execute(
                        f"UPDATE {table} SET holder_id = NULL, held_until = NULL, "
                        "attempts = attempts + 1, closed = TRUE WHERE id = %s",
                        [row[0]],
                    )

    ref_seconds, ref_got = _race(team, raw)
    return {
        "vendor": connection.vendor,
        "contacts": size,
        "advisors": team_size,
        "seconds": seconds,
        "ref_seconds": ref_seconds,
        "claims": got,
        "ref_claims": ref_got,
        "settled": settled,
    }


PROGRAMS = {"history": history, "claims": claims}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.settings")
    program, *args = sys.argv[1:]
    print(json.dumps(PROGRAMS[program](*args), default=str))  # noqa: T201
