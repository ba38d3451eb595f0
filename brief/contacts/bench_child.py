"""The child programs of the contact benchmarks, run as ``python -m brief.contacts.bench_child``.

Each runs in a fresh interpreter so its time and peak memory (ru_maxrss) are its own, measures
the polars reference in the same process, and prints its figures as one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _polars_read(path: str) -> tuple[float, int]:
    """Seconds for a raw polars read of the file, and its row count (the reference)."""
    t0 = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False)
    return time.perf_counter() - t0, frame.height


def check(path: str) -> dict[str, Any]:
    """``check_file`` (read + rules + summary) on ``path``, then the polars reference."""
    from brief.contacts.cleaning import check_file

    t0 = time.perf_counter()
    result = check_file(path, max_bytes=1 << 40)
    seconds = time.perf_counter() - t0
    peak = _peak_rss_bytes()
    read, rows_read = _polars_read(path)
    summary = result.summary
    return {
        "check": seconds,
        "read": read,
        "peak_rss_bytes": peak,
        "rows_total": summary["rows_total"],
        "rows_usable": summary["rows_usable"],
        "rows_rejected": summary["rows_rejected"],
        "rows_read": rows_read,
    }


def import_base(path: str) -> dict[str, Any]:
    """A whole import of ``path`` into a fresh database (migrated here), then the reference."""
    import django

    django.setup()
    from brief.accounts.models import Area, User
    from brief.campaigns.models import Attachment, Brief
    from brief.contacts import importer
    from brief.contacts.models import Contact, ContactBase
    from brief.core.bench import migrate_fresh

    migrate_fresh()
    area = Area.objects.create(code="bench", name="Bench")
    user = User.objects.create_user("bench", area=area)
    brief = Brief.objects.create(
        code="BRF-BENCH-0001",
        area=area,
        requester=user,
        name="Bench",
        status="received",
        channels=["sms", "email"],
    )
    attachment = Attachment(
        brief=brief, kind="base", original_name="base.csv", size=0, sha256="x", uploaded_by=user
    )
    attachment.file.name = path
    attachment.save()
    base = ContactBase.objects.create(
        brief=brief, attachment=attachment, source_name="base.csv", created_by=user
    )
    t0 = time.perf_counter()
    status = importer.run_import(base.pk, path=Path(path))
    seconds = time.perf_counter() - t0
    peak = _peak_rss_bytes()
    stored = Contact.objects.filter(base=base).count()
    base.refresh_from_db()
    read, rows_read = _polars_read(path)
    from django.db import connection

    raw, raw_rows = _raw_executemany(str(connection.settings_dict["NAME"]))
    return {
        "import": seconds,
        "read": read,
        "raw_executemany": raw,
        "raw_rows": raw_rows,
        "peak_rss_bytes": peak,
        "status": status,
        "stored": stored,
        "rows_total": (base.summary or {}).get("rows_total"),
        "usable": base.rows_usable,
        "rows_read": rows_read,
        "error": base.error_message,
    }


def _raw_executemany(db_path: str, chunk: int = 50_000) -> tuple[float, int]:
    """Seconds for the plainest Python load of the stored contacts: ``sqlite3`` executemany of
    the same rows (read back from ``contacts_contact``) into an empty copy of the table with its
    indexes, one transaction, the pragmas Brief runs with (the reference of ``base_import``).
    Only the inserts are timed; the rows are read back in chunks beforehand."""
    import sqlite3

    source = sqlite3.connect(db_path)
    target = sqlite3.connect(db_path, isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    ddl = [
        sql.replace('"contacts_contact"', '"raw_contact"').replace('_idx"', '_raw"')
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'contacts_contact' AND sql NOT NULL"
        )
    ]
    for sql in ddl:
        target.execute(sql)
    names = [r[1] for r in source.execute("PRAGMA table_info(contacts_contact)") if r[1] != "id"]
    columns = ", ".join(f'"{n}"' for n in names)
    insert = f"INSERT INTO raw_contact ({columns}) VALUES ({', '.join('?' * len(names))})"
    rows = source.execute(f"SELECT {columns} FROM contacts_contact ORDER BY id")
    seconds, count = 0.0, 0
    target.execute("BEGIN")
    while batch := rows.fetchmany(chunk):
        t0 = time.perf_counter()
        target.executemany(insert, batch)
        seconds += time.perf_counter() - t0
        count += len(batch)
    t0 = time.perf_counter()
    target.execute("COMMIT")
    seconds += time.perf_counter() - t0
    stored = target.execute("SELECT count(*) FROM raw_contact").fetchone()[0]
    target.execute("DROP TABLE raw_contact")
    source.close()
    target.close()
    return seconds, stored if stored == count else -1


PROGRAMS: dict[str, Callable[..., dict[str, Any]]] = {"check": check, "import": import_base}


def main(argv: list[str]) -> None:
    """``bench_child PROGRAM ARGS…``: run one program and print its figures as JSON."""
    name, *args = argv
    print(json.dumps(PROGRAMS[name](*args)))  # noqa: T201  (the parent reads stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
