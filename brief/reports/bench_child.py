"""Child programs of the report benchmarks (``python -m brief.reports.bench_child``).

Both fill a fresh SQLite database (``DATABASE_URL``) with one SMS campaign of N recipients: N
contacts and one sweep of N messages (set-based ``INSERT … SELECT`` over a recursive sequence,
indexes built after the rows), with statuses and send times spread by :func:`status_of`.

``json N`` times the campaign report (``reports.campaign.build`` serialized to JSON) against
one indexed ``GROUP BY status`` in raw sqlite3 on the same rows, and prints both with the
report's counts and the ``GROUP BY``'s.

``xlsx N`` times the streamed sent register (``reports.registers``) written to a file and
records the process's peak RSS right after; then times the reference, xlsxwriter in
``constant_memory`` mode writing the same rows (read in chunks into lists), and counts the
rows in both files.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
import zipfile
from typing import Any

EPOCH = 1_796_130_000  # 2026-12-01 13:00 UTC (08:00 in Bogota): the first send
DOC0 = 10_000_000
# status by i % 20: how the generated messages ended
STATUS_CYCLE = (
    ["failed", "bounced"] + ["sent"] * 6 + ["delivered"] * 8 + ["read"] * 4
)  # fmt: skip


def status_of(i: int) -> str:
    return STATUS_CYCLE[i % 20]


def expected_counts(n: int) -> dict[str, int]:
    """Messages per status that :func:`_fill` generates for ``n`` recipients."""
    out: dict[str, int] = {}
    for k, status in enumerate(STATUS_CYCLE):
        out[status] = out.get(status, 0) + len(range(k, n, 20))
    return out


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _sequence(n: int) -> str:
    return f"WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {n - 1})"


def fill_contacts(cursor: Any, base_id: int, n: int) -> None:
    """``n`` contacts of the base ``base_id`` (ids 1…n, document ``DOC0 + i``) by one
    set-based insert; the pages benchmark shares it."""
    from brief.contacts.models import Contact

    cursor.execute(
        f"{_sequence(n)} INSERT INTO {Contact._meta.db_table} (id, base_id, row, doc_type, "
        "doc_number, first_names, last_names, full_name, mobile, landline, phones, "
        "email, emails, country, abroad, city, department, custom, can_sms, "
        "can_whatsapp, can_email, can_voice, can_call, observations) "
        f"SELECT i + 1, {base_id}, i + 2, 'CC', {DOC0} + i, 'Ana', 'Pérez', "
        "'Ana Pérez ' || i, '+57300' || (1000000 + i), '', '[]', '', '[]', "
        "'Colombia', 0, 'Bogotá', '', '{}', 1, 0, 0, 0, 0, '' FROM seq"
    )


def fill_messages(
    cursor: Any,
    n: int,
    *,
    sweep: str,
    person: str = "i",
    to: str = "'+57300' || (1000000 + i)",
    columns: str = "",
) -> None:
    """``n`` messages (ids 1…n) by one set-based insert, message ``i`` ending in
    :func:`status_of` ``(i)`` with its send times; ``sweep``, ``person`` (the contact's index)
    and ``to`` are SQL over ``i`` and the extra ``columns`` of the inner select. The pages
    benchmark shares it."""
    from brief.dispatch.models import Message

    cases = " ".join(f"WHEN {k} THEN '{s}'" for k, s in enumerate(STATUS_CYCLE))
    cursor.execute(
        f"{_sequence(n)} INSERT INTO {Message._meta.db_table} (id, sweep_id, contact_id, "
        'person, "to", status, rank, provider_message_id, error_code, error_detail, '
        "permanent, fallback, attempts, sent_at, delivered_at, read_at, updated_at) "
        f"SELECT i + 1, {sweep}, {person} + 1, 'CC:' || ({DOC0} + {person}), {to}, s, 0, "
        "CASE WHEN s = 'failed' THEN '' ELSE 'sim-' || i END, "
        "CASE WHEN s IN ('failed', 'bounced') THEN 'E1' ELSE '' END, '', 0, 0, 1, "
        f"CASE WHEN s = 'failed' THEN NULL ELSE datetime({EPOCH} + i / 40, 'unixepoch') END, "
        f"CASE WHEN s IN ('delivered', 'read') THEN datetime({EPOCH} + i / 40 + 5, "
        "'unixepoch') END, "
        f"CASE WHEN s = 'read' THEN datetime({EPOCH} + i / 40 + 60, 'unixepoch') END, "
        f"datetime({EPOCH}, 'unixepoch') "
        f"FROM (SELECT i, CASE i % 20 {cases} END AS s{columns} FROM seq)"
    )


def _fill(n: int) -> Any:
    """One brief with one SMS sweep of ``n`` messages to ``n`` contacts; returns the brief."""
    import django

    django.setup()
    from django.db import connection, transaction

    from brief.core.bench import migrate_fresh

    migrate_fresh()
    from brief.accounts.models import Area, Provider, User
    from brief.campaigns.models import Brief
    from brief.contacts.models import Contact, ContactBase
    from brief.content.models import Template
    from brief.core.bench import without_indexes
    from brief.dispatch.models import Message, ProviderAccount, Sweep

    area = Area.objects.create(code="bench", name="Bench")
    provider = Provider.objects.create(code="bench-bpo", name="BPO")
    user = User.objects.create_user("bench", area=area)
    account = ProviderAccount.objects.create(
        code="simulado", name="Simulado", channels=["sms"], backend="x.Simulated"
    )
    brief = Brief.objects.create(
        code="BRF-BENCH-0001", area=area, requester=user, provider=provider, name="Campaña",
        status="executing", channels=["sms"], sweeps_planned=1, target_contact_rate=80,
        target_effectiveness=30, objective="Benchmark", audience="Beneficiarios",
    )  # fmt: skip
    base = ContactBase.objects.create(
        brief=brief, source_name="bench.csv", created_by=user, status="ready",
        summary={"rows_total": n, "rows_usable": n, "rows_rejected": 0},
    )  # fmt: skip
    template = Template.objects.create(
        brief=brief, channel="sms", name="sms", created_by=user,
        body="Hola {nombres}, su cuota vence pronto.",
    )  # fmt: skip
    sweep = Sweep.objects.create(
        brief=brief, number=1, channel="sms", template=template, base=base,
        provider_account=account, state="done", created_by=user, total=n,
    )  # fmt: skip
    contact, message = Contact._meta.db_table, Message._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        without_indexes(cursor, contact, lambda: fill_contacts(cursor, base.pk, n))
        without_indexes(cursor, message, lambda: fill_messages(cursor, n, sweep=str(sweep.pk)))
        cursor.execute("ANALYZE")
    return brief


def _raw() -> sqlite3.Connection:
    return sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))


def report_json(n: str) -> dict[str, Any]:
    """Fill, then time the JSON report and the raw ``GROUP BY`` reference."""
    from django.db import connection

    t0 = time.perf_counter()
    brief = _fill(int(n))
    fill_seconds = time.perf_counter() - t0
    from brief.reports import campaign

    times, body = [], ""
    for _ in range(3):
        start = time.perf_counter()
        data = campaign.build(brief)
        body = json.dumps(data)
        times.append(time.perf_counter() - start)
    sweep_id = data["sweeps"][0]["id"]
    connection.close()
    raw = _raw()
    ref_times, grouped = [], {}
    for _ in range(3):
        start = time.perf_counter()
        grouped = dict(
            raw.execute(
                "SELECT status, count(*) FROM dispatch_message WHERE sweep_id = ? GROUP BY status",
                [sweep_id],
            ).fetchall()
        )
        ref_times.append(time.perf_counter() - start)
    plan = raw.execute(
        "EXPLAIN QUERY PLAN SELECT status, count(*) FROM dispatch_message WHERE sweep_id = ? "
        "GROUP BY status",
        [sweep_id],
    ).fetchall()[0][-1]
    raw.close()
    return {
        "n": int(n),
        "fill_seconds": fill_seconds,
        "times": times,
        "ref_times": ref_times,
        "counts": {k: v for k, v in data["sweeps"][0]["counts"].items() if v},
        "grouped": grouped,
        "totals": data["totals"],
        "people_targeted": data["people_targeted"],
        "json_bytes": len(body),
        "reference_plan": plan,
    }


def _sheet_rows(path: str) -> int:
    """``<row>`` elements in the workbook's first sheet, read as a stream."""
    with zipfile.ZipFile(path) as book:
        name = next(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
        rows, tail = 0, b""
        with book.open(name) as sheet:
            while chunk := sheet.read(1 << 20):
                rows += (tail + chunk).count(b"</row>")
                tail = chunk[-5:]
    return rows


def report_xlsx(n: str) -> dict[str, Any]:
    """Fill, then time the streamed register and xlsxwriter's constant_memory reference."""
    t0 = time.perf_counter()
    brief = _fill(int(n))
    fill_seconds = time.perf_counter() - t0
    from brief.core.tabular import SheetWriter
    from brief.reports import registers

    before = _peak_rss_bytes()
    folder = tempfile.mkdtemp(prefix="brief-bench-xlsx-")
    path = os.path.join(folder, "register.xlsx")
    start = time.perf_counter()
    header, frames = registers.sent_register(brief)
    with open(path, "wb") as handle, SheetWriter(handle, "Registro", header) as w:
        for frame in frames:
            w.write(frame)
    seconds = time.perf_counter() - start
    peak = _peak_rss_bytes()
    size = os.path.getsize(path)
    rows = _sheet_rows(path)
    from python_calamine import CalamineWorkbook

    first = next(iter(CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows()))
    # the reference: the same rows, read in chunks into lists, written cell by cell
    import xlsxwriter

    ref_path = os.path.join(folder, "reference.xlsx")
    ref_start = time.perf_counter()
    book = xlsxwriter.Workbook(ref_path, {"constant_memory": True})
    sheet = book.add_worksheet("Registro")
    sheet.write_row(0, 0, header)
    r = 1
    for frame in registers.sent_register(brief)[1]:
        for row in frame.rows():
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
            r += 1
    book.close()
    ref_seconds = time.perf_counter() - ref_start
    ref_rows = _sheet_rows(ref_path)
    for leftover in (path, ref_path):
        os.unlink(leftover)
    os.rmdir(folder)
    return {
        "n": int(n),
        "fill_seconds": fill_seconds,
        "seconds": seconds,
        "ref_seconds": ref_seconds,
        "rows": rows,
        "ref_rows": ref_rows,
        "header": first,
        "bytes": size,
        "rss_before_bytes": before,
        "peak_rss_bytes": peak,
    }


PROGRAMS = {"json": report_json, "xlsx": report_xlsx}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.settings")
    program, *args = sys.argv[1:]
    print(json.dumps(PROGRAMS[program](*args), default=str))  # noqa: T201
