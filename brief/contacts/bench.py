"""Benchmarks of the contact-base cleaning, for ``brief bench``.

The check runs in a child process so that its peak memory (ru_maxrss) is its own, and the
reference (a raw polars read of the same file) is measured in that same child, same run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brief.contacts import synth
from brief.core.bench import fresh_database_env, run_child

ROWS_1M = 1_000_000
SEED = 42

_CHILD = """
import json, resource, sys, time
import polars as pl
from brief.contacts.cleaning import check_file

path = sys.argv[1]
t0 = time.perf_counter()
result = check_file(path, max_bytes=1 << 40)
check = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
frame = pl.read_csv(path, infer_schema=False)
read = time.perf_counter() - t0
print(json.dumps({"check": check, "read": read, "peak_rss_bytes": peak,
                  "rows_total": result.summary["rows_total"], "rows_read": frame.height}))
"""


def base_file(workdir: Path, rows: int = ROWS_1M, seed: int = SEED) -> Path:
    """The generated base for `rows` (reused when already in workdir)."""
    path = Path(workdir) / f"base_{rows}_{seed}.csv"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        synth.write_csv(tmp, rows, seed)
        tmp.replace(path)
    return path


def measure_check(path: Path) -> dict[str, Any]:
    """Run `check_file` and the polars reference in a fresh interpreter; return the figures."""
    return run_child(_CHILD, str(path))


def bench_base_check_1m(workdir: Path) -> dict[str, Any]:
    """`brief base check` (read + rules 1-8 + summary) on a generated 1,000,000-row base."""
    path = base_file(workdir)
    figures = measure_check(path)
    if figures["rows_total"] != ROWS_1M or figures["rows_read"] != ROWS_1M:
        raise AssertionError(f"expected {ROWS_1M} rows, got {figures}")
    return {
        "name": "base_check_1m",
        "value": figures["check"],
        "unit": "s",
        "reference": "polars read of the same file",
        "reference_value": figures["read"],
        "peak_rss_mib": round(figures["peak_rss_bytes"] / 2**20, 1),
    }


_IMPORT_CHILD = """
import json, os, resource, sys, time
import django
django.setup()
import polars as pl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from brief.accounts.actions import set_roles
from brief.accounts.models import Area, User
from brief.campaigns.models import Attachment, Brief
from brief.contacts import importer
from brief.contacts.models import Contact, ContactBase

path = sys.argv[1]
call_command("migrate", verbosity=0)
area = Area.objects.create(code="bench", name="Bench")
user = User.objects.create_user("bench", area=area)
brief = Brief.objects.create(code="BRF-BENCH-0001", area=area, requester=user, name="Bench",
                             status="received", channels=["sms", "email"])
attachment = Attachment(brief=brief, kind="base", original_name="base.csv", size=0, sha256="x",
                        uploaded_by=user)
attachment.file.name = path
attachment.save()
base = ContactBase.objects.create(brief=brief, attachment=attachment, source_name="base.csv",
                                  created_by=user)
t0 = time.perf_counter()
status = importer.run_import(base.pk, path=__import__("pathlib").Path(path))
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
stored = Contact.objects.filter(base=base).count()
base.refresh_from_db()
t0 = time.perf_counter()
frame = pl.read_csv(path, infer_schema=False)
read = time.perf_counter() - t0
print(json.dumps({"import": elapsed, "read": read, "peak_rss_bytes": peak, "status": status,
                  "stored": stored, "usable": base.rows_usable, "error": base.error_message}))
"""


def bench_base_import_1m(workdir: Path) -> dict[str, Any]:
    """File → stored contacts + summary for 1,000,000 rows, on a fresh SQLite database."""
    path = base_file(workdir)
    env = fresh_database_env(Path(workdir), "bench-import.sqlite3")
    figures = run_child(_IMPORT_CHILD, str(path), env=env)
    if figures["status"] != "ready" or figures["stored"] != figures["usable"]:
        raise AssertionError(f"import did not complete: {figures}")
    return {
        "name": "base_import_1m",
        "value": figures["import"],
        "unit": "s",
        "reference": "polars read of the same file",
        "reference_value": figures["read"],
        "peak_rss_mib": round(figures["peak_rss_bytes"] / 2**20, 1),
        "contacts_stored": figures["stored"],
    }


BENCHMARKS = [bench_base_check_1m, bench_base_import_1m]
