"""The three bulk paths of ``contacts.bulk`` store the same contacts: ADBC staging on a SQLite
file and COPY on PostgreSQL (both run by a worker, outside any transaction, here in a script)
and the TEMP-table staging the tests' in-memory database takes inside a transaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from brief.accounts.models import Area, User
from brief.campaigns.models import Attachment, Brief
from brief.contacts import importer
from brief.contacts.models import Contact, ContactBase
from brief.contacts.synth import write_csv
from tests.services import run_script_on_postgres

SCRIPT = Path(__file__).with_name("bulk_script.py")
ROWS = 1_500
CHUNK_ROWS = 400  # several chunks


def import_file(path: Path) -> tuple[str, int]:
    """Import ``path`` as a new base of a new brief."""
    area = Area.objects.create(code="bulk", name="Bulk")
    user = User.objects.create_user("bulk", area=area)
    brief = Brief.objects.create(
        code="BRF-BULK-0001", area=area, requester=user, name="Bulk", status="received",
        channels=["sms", "email"],
    )  # fmt: skip
    attachment = Attachment(
        brief=brief, kind="base", original_name="b.csv", size=1, sha256="x", uploaded_by=user
    )
    attachment.file.name = str(path)
    attachment.save()
    base = ContactBase.objects.create(
        brief=brief, attachment=attachment, source_name="b.csv", created_by=user
    )
    return importer.run_import(base.pk, path=path), base.pk


def stored_rows(base_id: int) -> list[list[Any]]:
    """Every stored contact of the base, in id order, as JSON-comparable values."""
    fields = [f.attname for f in Contact._meta.concrete_fields if f.attname not in ("id",)]
    rows = Contact.objects.filter(base_id=base_id).order_by("id").values_list(*fields)
    return [
        [value if not isinstance(value, int | bool) else int(value) for value in row]
        for row in rows
    ]


@pytest.fixture
def base_path(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(importer, "CHUNK_ROWS", CHUNK_ROWS)
    return write_csv(tmp_path / "base.csv", ROWS, seed=11)


def in_transaction(path: Path) -> list[list[Any]]:
    assert connection.in_atomic_block  # the TEMP-table path
    status, base_id = import_file(path)
    assert status == "ready"
    rows = stored_rows(base_id)
    for row in rows:
        row[0] = None  # base_id differs between databases
    return json.loads(json.dumps(rows))


def from_script(result: dict[str, Any]) -> list[list[Any]]:
    assert result["status"] == "ready"
    for row in result["rows"]:
        row[0] = None
    return result["rows"]


@pytest.mark.django_db
def test_adbc_staging_on_a_sqlite_file_stores_what_the_temp_table_stores(base_path, tmp_path):
    # given the contacts the in-transaction path stores
    expected = in_transaction(base_path)
    assert len(expected) > 1_000
    # when a worker imports the same file on a SQLite file database
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bulk.sqlite3'}",
        "BRIEF_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(base_path)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # then it stored the same rows, in the same order, and left no scratch file behind
    assert result["vendor"] == "sqlite"
    assert from_script(result) == expected
    assert not list((tmp_path / "var").glob("import-*"))


@pytest.mark.django_db
@pytest.mark.slow
def test_copy_on_postgresql_stores_what_the_temp_table_stores(base_path, tmp_path):
    expected = in_transaction(base_path)
    result = run_script_on_postgres(SCRIPT, tmp_path, str(base_path))
    assert result["vendor"] == "postgresql"
    assert from_script(result) == expected


@pytest.mark.django_db
def test_the_reaper_removes_scratch_files_of_dead_imports_only(settings, tmp_path):
    # given the scratch folder of an import whose worker died an hour ago, and a live one
    settings.VAR_DIR = tmp_path
    dead, live = tmp_path / "import-dead", tmp_path / "import-live"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "stage.sqlite3").write_bytes(b"personal data")
    hour_ago = time.time() - 3600
    for path in (dead / "stage.sqlite3", dead):
        os.utime(path, (hour_ago, hour_ago))
    (tmp_path / "import-notes.txt").write_text("not a stage")
    # when the reaper runs
    importer.reap_stale(max_silence_seconds=600)
    # then only the dead import's folder is gone
    assert not dead.exists()
    assert (live / "stage.sqlite3").exists()
    assert (tmp_path / "import-notes.txt").exists()
