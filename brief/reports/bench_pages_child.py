"""Child program of the ``pages_10k`` benchmark (``python -m brief.reports.bench_pages_child``).

``pages MESSAGES BRIEFS REQUESTS`` fills a fresh SQLite database (``DATABASE_URL``) with
BRIEFS briefs in every state (spread over :data:`AREAS` areas, an open SLA clock on each brief
in a clocked state, some overdue), :data:`USERS` users (requesters and bosses of each area, OCM
analysts, process leaders, the provider's channel directors), ``MESSAGES // 10`` contacts and
MESSAGES dispatch messages over the sweeps of :data:`SWEEP_BRIEFS` executing briefs — the
first of them (the «big» brief) holds a fifth of the messages in its two sweeps. Briefs,
clocks, contacts and messages are written by set-based ``INSERT … SELECT`` with the indexes
built after the rows; the few sweeps, templates and users by the ORM.

Then every page of :func:`page_requests` is requested through the WSGI app
(``django.test.Client``, logged in as users of the right roles, in turn) — 2 warm-up requests
and REQUESTS timed ones each — and once more inside ``CaptureQueriesContext`` for its query
count. The reference is ``/favicon.ico`` through the same client and session: the WSGI stack
and its middleware with no view work. Prints the times, the query counts, what each response
held of what it had to hold, the rows filled and the peak RSS.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from typing import Any

from .bench_child import _peak_rss_bytes, _sequence, fill_contacts, fill_messages

AREAS = 10
USERS = 50
SWEEP_BRIEFS = 25  # executing briefs with two sweeps each (SMS, e-mail)
WARM_UP = 2
# brief i has status BRIEF_STATES[i % len]: every state, so the board and lists see them all
BRIEF_STATES = (
    "draft", "submitted", "in_review", "returned", "forwarded", "received", "base_loaded",
    "awaiting_exit_approval", "executing", "results_review", "results_sent", "accepted",
    "cancelled",
)  # fmt: skip
PROVIDER_STATES = BRIEF_STATES[4:]  # forwarded onwards: the provider holds the brief
# The SLA rule whose clock runs in each state (``core.SLARule`` rows of the migrations).
CLOCK_RULES = {
    "submitted": "verificacion-ocm",
    "in_review": "verificacion-ocm",
    "forwarded": "recepcion-proveedor",
    "received": "implementacion-whatsapp-informativa",
    "base_loaded": "implementacion-whatsapp-informativa",
    "awaiting_exit_approval": "aprobacion-salida",
    "executing": "sms-email-ejecucion",
    "results_review": "revision-resultados-ocm",
}


def big_share(messages: int) -> int:
    """Messages of the big brief (its two sweeps); the rest go to the other sweeps."""
    return messages // 5


def sweep_of(i: int, messages: int) -> int:
    """Index (0-based, in creation order) of the sweep of message ``i``."""
    big = big_share(messages)
    if i < big:
        return i % 2
    return 2 + (i - big) % (2 * SWEEP_BRIEFS - 2)


def expected_sweep_totals(messages: int) -> list[int]:
    """Messages per sweep that :func:`_fill` generates."""
    totals = [0] * (2 * SWEEP_BRIEFS)
    big = big_share(messages)
    totals[0], totals[1] = len(range(0, big, 2)), len(range(1, big, 2))
    rest = messages - big
    others = 2 * SWEEP_BRIEFS - 2
    for k in range(others):
        totals[2 + k] = len(range(k, rest, others))
    return totals


def _users(areas, provider) -> dict[str, list]:
    """The 50 users, by role: 2 requesters and a boss per area, OCM analysts, process
    leaders, the provider's channel directors."""
    from brief.accounts.actions import set_roles
    from brief.accounts.models import User
    from brief.core.roles import Role

    made: dict[str, list] = {"solicitante": [], "jefe": [], "analista": [], "lider": [],
                             "proveedor": []}  # fmt: skip

    def make(kind: str, username: str, role: str, **where: Any) -> None:
        user = User.objects.create_user(username, password=None, **where)  # no hashing
        set_roles(user, [role])
        made[kind].append(User.objects.get(pk=user.pk))

    for k, area in enumerate(areas):
        for j in range(2):
            make("solicitante", f"sol{k}-{j}", Role.SOLICITANTE, area=area)
        make("jefe", f"jefe{k}", Role.JEFE, area=area)
    rest = USERS - 3 * len(areas)
    for k in range(rest // 2):
        make("analista", f"analista{k}", Role.ANALISTA_OCM)
    for k in range(rest // 4):
        make("lider", f"lider{k}", Role.LIDER_PROCESO)
    for k in range(rest - rest // 2 - rest // 4):
        make("proveedor", f"proveedor{k}", Role.PROVEEDOR, provider=provider)
    return made


def _fill(messages: int, briefs: int) -> dict[str, Any]:
    """Fill the database; returns what the requests and checks need."""
    import django

    django.setup()
    from brief.core.bench import migrate_fresh

    migrate_fresh()
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from brief.accounts.models import Area, Provider
    from brief.campaigns.models import Brief
    from brief.contacts.models import Contact, ContactBase
    from brief.content.models import Template
    from brief.core.bench import without_indexes
    from brief.core.models import SLAClock, SLARule
    from brief.dispatch.models import Message, ProviderAccount, Sweep

    areas = [Area.objects.create(code=f"area{k}", name=f"Área {k}") for k in range(AREAS)]
    provider = Provider.objects.create(code="bench-bpo", name="BPO Bench")
    users = _users(areas, provider)
    requesters = {u.area_id: u.pk for u in reversed(users["solicitante"])}  # first per area
    now = timezone.now().replace(microsecond=0)
    now_s = int(now.timestamp())
    brief_ct = ContentType.objects.get_for_model(Brief).pk
    rules = {r.code: r.pk for r in SLARule.objects.filter(code__in=set(CLOCK_RULES.values()))}
    n_states = len(BRIEF_STATES)
    state_case = " ".join(f"WHEN {k} THEN '{s}'" for k, s in enumerate(BRIEF_STATES))
    provider_states = ", ".join(f"'{s}'" for s in PROVIDER_STATES)
    area_ids = [a.pk for a in areas]
    area_case = " ".join(f"WHEN {k} THEN {pk}" for k, pk in enumerate(area_ids))
    requester_case = " ".join(f"WHEN {pk} THEN {requesters[pk]}" for pk in area_ids)
    rule_case = " ".join(f"WHEN '{s}' THEN {rules[c]}" for s, c in CLOCK_RULES.items())
    brief_table, clock_table = Brief._meta.db_table, SLAClock._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:

        def fill_briefs() -> None:
            # brief i: created i minutes before now (the newest first in the lists)
            cursor.execute(
                f"{_sequence(briefs)} INSERT INTO {brief_table} (id, code, status, version, "
                "name, objective, description, campaign_class, kind, channels, start_date, "
                "end_date, audience, estimated_base_size, includes_abroad, content, "
                "typification_codes, read_register, tracked_links, sweeps_planned, "
                "fields_to_collect, target_contact_rate, target_effectiveness, observations, "
                "submitted_at, last_transition_at, created_at, updated_at, area_id, "
                "provider_id, requester_id, boss_refusal, comms_refusal, leader_refusal) "
                "SELECT i + 1, printf('BRF-2026-%05d', i + 1), s, 1, "
                "'Campaña de servicio ' || (i + 1), 'Informar a los beneficiarios', '', "
                "'servicio', 'informativa', '[\"sms\", \"email\"]', "
                f"date({now_s} - 86400 * (i % 90), 'unixepoch'), "
                f"date({now_s} + 86400 * (30 - i % 90), 'unixepoch'), 'Beneficiarios', "
                "1000 + i, 0, '{}', '', 0, '', 2, '', 80, 30, '', "
                f"CASE WHEN s = 'draft' THEN NULL ELSE datetime({now_s} - 60 * i, 'unixepoch') "
                f"END, datetime({now_s} - 60 * i + 30, 'unixepoch'), "
                f"datetime({now_s} - 60 * i, 'unixepoch'), datetime({now_s}, 'unixepoch'), "
                f"a, CASE WHEN s IN ({provider_states}) THEN {provider.pk} END, "
                f"CASE a {requester_case} END, '', '', '' "
                f"FROM (SELECT i, CASE i % {n_states} {state_case} END AS s, "
                f"CASE i % {AREAS} {area_case} END AS a FROM seq)"
            )

        def fill_clocks() -> None:
            # one open clock per clocked brief, due from 3 days ago to 7 days ahead
            cursor.execute(
                f"INSERT INTO {clock_table} (subject_type_id, subject_id, state, responsible, "
                "started_at, due_at, rule_id, breach_reason) "
                f"SELECT {brief_ct}, id, 'running', 'icetex', "
                f"datetime({now_s} - 86400 * 2 - 60 * id, 'unixepoch'), "
                f"datetime({now_s} + 3600 * ((id * 7) % 240 - 72), 'unixepoch'), "
                f"CASE status {rule_case} END, '' FROM {brief_table} "
                f"WHERE status IN ({', '.join(repr(s) for s in CLOCK_RULES)})"
            )

        without_indexes(cursor, brief_table, fill_briefs)
        without_indexes(cursor, clock_table, fill_clocks)

    executing = BRIEF_STATES.index("executing")
    sweep_briefs = list(
        Brief.objects.filter(status="executing").order_by("id")[:SWEEP_BRIEFS]
    )  # ids k*13+executing+1: spread over areas
    assert len(sweep_briefs) == SWEEP_BRIEFS, "too few briefs for the sweeps"
    assert sweep_briefs[0].pk == executing + 1
    big = sweep_briefs[0]
    proveedor = users["proveedor"][0]
    account = ProviderAccount.objects.create(
        code="simulado", name="Simulado", channels=["sms", "email"], backend="x.Simulated"
    )
    people = max(messages // 10, 1)
    base = ContactBase.objects.create(
        brief=big, source_name="bench.csv", created_by=proveedor, status="ready",
        rows_total=people, rows_usable=people,
        summary={"rows_total": people, "rows_usable": people, "rows_rejected": 0},
    )  # fmt: skip
    sweeps = []
    for brief in sweep_briefs:
        for number, channel in ((1, "sms"), (2, "email")):
            template = Template.objects.create(
                brief=brief, channel=channel, name=channel, created_by=proveedor,
                body="Hola {nombres}, su cuota vence pronto.", subject="Aviso ICETEX",
                text="Hola {nombres}, su cuota vence pronto.",
            )  # fmt: skip
            sweeps.append(
                Sweep.objects.create(
                    brief=brief,
                    number=number,
                    channel=channel,
                    template=template,
                    base=base,
                    provider_account=account,
                    state="done",
                    created_by=proveedor,
                    total=0,
                    started_at=now - dt.timedelta(days=1),
                    finished_at=now - dt.timedelta(hours=20),
                )
            )
    first = sweeps[0].pk
    assert [s.pk for s in sweeps] == list(range(first, first + len(sweeps)))
    totals = expected_sweep_totals(messages)
    for sweep, total in zip(sweeps, totals, strict=True):
        Sweep.objects.filter(pk=sweep.pk).update(total=total)
    contact, message = Contact._meta.db_table, Message._meta.db_table
    big_n, others = big_share(messages), 2 * SWEEP_BRIEFS - 2
    with transaction.atomic(), connection.cursor() as cursor:
        without_indexes(cursor, contact, lambda: fill_contacts(cursor, base.pk, people))
        without_indexes(
            cursor,
            message,
            lambda: fill_messages(
                cursor,
                messages,
                sweep=f"{first} + k",
                person="p",
                to="CASE k % 2 WHEN 0 THEN '+57300' || (1000000 + p) "
                "ELSE 'p' || p || '@correo.co' END",
                columns=f", i % {people} AS p, CASE WHEN i < {big_n} THEN i % 2 "
                f"ELSE 2 + (i - {big_n}) % {others} END AS k",
            ),
        )
        cursor.execute("ANALYZE")
    return {"users": users, "big": big, "sweeps": sweeps, "now": now}


def _rows(big_id: int) -> dict[str, int]:
    """Rows stored, counted in SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        out = {}
        for name, table in (
            ("briefs", "campaigns_brief"),
            ("messages", "dispatch_message"),
            ("users", "accounts_user"),
            ("sweeps", "dispatch_sweep"),
            ("open clocks", "core_slaclock"),
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            out[name] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM dispatch_message m JOIN dispatch_sweep s ON s.id = m.sweep_id "
            "WHERE s.brief_id = %s",
            [big_id],
        )
        out["big brief messages"] = cursor.fetchone()[0]
    return out


def _sql_codes(sql: str, params: list) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def page_requests(filled: dict[str, Any]) -> dict[str, list[tuple[Any, str, list[str]]]]:
    """Per page, the requests in turn: (user, url, texts the response must hold). The texts
    are found in SQL, apart from the view: the board's first brief (the earliest open clock,
    overdue), the codes that open each page of the filtered list, the brief's code."""
    from django.urls import reverse

    users = filled["users"]
    big, sweeps = filled["big"], filled["sweeps"]
    staff = users["analista"] + users["lider"]
    first_on_board = _sql_codes(
        "SELECT b.code FROM core_slaclock c JOIN campaigns_brief b ON b.id = c.subject_id "
        "WHERE c.stopped_at IS NULL ORDER BY c.due_at, b.created_at DESC LIMIT 1",
        [],
    )
    board = [(u, reverse("campaigns:board"), first_on_board) for u in staff]
    listing = []
    for k, user in enumerate(staff + users["solicitante"]):
        status = ("executing", "submitted", "forwarded")[k % 3]
        page = 1 + k % 4
        where, params = "status = %s", [status]
        if user.area_id:
            where, params = "status = %s AND area_id = %s", [status, user.area_id]
        first_code = _sql_codes(
            f"SELECT code FROM campaigns_brief WHERE {where} "
            "ORDER BY created_at DESC LIMIT 1 OFFSET %s",
            [*params, 25 * (page - 1)],
        )
        url = reverse("campaigns:brief_list") + f"?status={status}&page={page}"
        listing.append((user, url, first_code))
    panels = [
        (u, reverse("campaigns:home_panels"), ["Pendientes para mí"])
        for u in staff + users["solicitante"] + users["proveedor"]
    ]
    detail = [
        (u, reverse("campaigns:brief_detail", args=[big.code]), [big.code])
        for u in staff
        + [u for u in users["solicitante"] if u.area_id == big.area_id]
        + users["proveedor"]
    ]
    sweep = [
        (u, reverse("dispatch:sweep_detail", args=[s.pk]), [s.brief.code])
        for s in sweeps[:2]
        for u in staff + users["proveedor"]
    ]
    report = [
        (u, reverse("reports:campaign", args=[big.code]), [big.code])
        for u in staff + [u for u in users["solicitante"] if u.area_id == big.area_id]
    ]
    return {"board": board, "list": listing, "home_panels": panels, "brief": detail,
            "sweep": sweep, "report": report}  # fmt: skip


def _measure(client_for, requests: list, count: int) -> dict[str, Any]:
    """Warm-up, then ``count`` timed requests in turn over ``requests``; then one counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, statuses, missing, first = [], [], [], 0.0
    for k in range(WARM_UP + count):
        user, url, texts = requests[k % len(requests)]
        client = client_for(user)
        start = time.perf_counter()
        response = client.get(url, secure=True)  # production settings: HTTPS only
        elapsed = time.perf_counter() - start
        statuses.append(response.status_code)
        raw = b"".join(response) if response.streaming else response.content
        response.close()
        body = raw.decode(errors="replace")
        missing += [f"{url} as {user.username}: {t!r}" for t in texts if t not in body]
        if k == 0:
            first = elapsed  # this process's first view: nothing cached yet
        if k >= WARM_UP:
            times.append(elapsed)
    user, url, _texts = requests[0]
    with CaptureQueriesContext(connection) as captured:
        client_for(user).get(url, secure=True)
    return {"times": times, "first": first, "statuses": sorted(set(statuses)),
            "missing": missing, "queries": len(captured), "url": url}  # fmt: skip


def pages(messages: str, briefs: str, requests: str) -> dict[str, Any]:
    """Fill, then request every page and the reference."""
    from django.test import Client

    t0 = time.perf_counter()
    filled = _fill(int(messages), int(briefs))
    fill_seconds = time.perf_counter() - t0
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' manifest
    rows = _rows(filled["big"].pk)
    clients: dict[int, Client] = {}

    def client_for(user) -> Client:
        if user.pk not in clients:
            clients[user.pk] = Client(HTTP_HOST="localhost")
            clients[user.pk].force_login(user)
        return clients[user.pk]

    plan = page_requests(filled)
    count = int(requests)
    measured = {name: _measure(client_for, reqs, count) for name, reqs in plan.items()}
    staff = filled["users"]["analista"]
    reference = _measure(client_for, [(u, "/favicon.ico", []) for u in staff], count)
    return {
        "messages": int(messages),
        "briefs": int(briefs),
        "fill_seconds": fill_seconds,
        "rows": rows,
        "big_brief": filled["big"].code,
        "pages": measured,
        "reference": reference,
        "peak_rss_bytes": _peak_rss_bytes(),
    }


PROGRAMS = {"pages": pages}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.settings")
    program, *args = sys.argv[1:]
    print(json.dumps(PROGRAMS[program](*args), default=str))  # noqa: T201
