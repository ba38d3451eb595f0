"""Store cleaned contacts in bulk, by the fastest path each database offers.

- **PostgreSQL**: ``COPY contacts_contact FROM STDIN (FORMAT csv)`` fed with CSV that polars
  writes, one transaction per chunk (no Python object per value).
- **SQLite**: the chunks are staged in a private scratch file by the Arrow ADBC driver
  (``adbc_driver_sqlite`` binds the columns straight from Arrow memory), then one
  ``INSERT … SELECT`` through Django's connection (``ATTACH``) moves them into
  ``contacts_contact`` in a single transaction, with a larger page cache for that window
  (``core.bulk.bulk_window``).
  Chunked commits into the table itself cost three times as much: every commit rewrote the
  ``doc_number`` index pages its random inserts had touched, and the default 8 MB cache
  thrashed (profile in ``docs/perf/2026-12-02-import-and-check.md``). The scratch file is
  closed by ADBC before Django's connection attaches it: two copies of the SQLite library in
  one process must never hold the same file open (they would drop each other's POSIX locks).
- **SQLite inside a transaction** (the tests' in-memory database): ``ATTACH`` is not allowed
  there, so the chunks are staged with ``executemany`` into a ``TEMP`` table and moved by the
  same ``INSERT … SELECT``.

On SQLite nothing reaches ``contacts_contact`` before :meth:`ContactWriter.finish`; on
PostgreSQL the committed chunks stay invisible until the base is ``ready`` and an unfinished
import deletes them (``importer.delete_contacts``).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction

from brief.campaigns.vocabulary import CHANNELS
from brief.core.bulk import bulk_window

from .models import Contact

# Columns of contacts_contact written by the bulk path, in order (``base_id`` and
# ``observations`` are constants of the statement, not staged).
COLUMNS = [
    "base_id", "row", "doc_type", "doc_number", "first_names", "last_names", "full_name",
    "mobile", "landline", "phones", "email", "emails", "country", "abroad", "city",
    "department", "custom", *(f"can_{c}" for c in CHANNELS), "observations",
]  # fmt: skip
STAGED = [c for c in COLUMNS if c not in ("base_id", "observations")]


STAGE_PREFIX = "import-"


def remove_stale_stages(older_than_seconds: float) -> int:
    """Delete the scratch folders of imports whose worker died (nothing written to them for
    ``older_than_seconds``): they hold personal data. Returns how many were removed."""
    limit = time.time() - older_than_seconds
    removed = 0
    for folder in Path(settings.VAR_DIR).glob(f"{STAGE_PREFIX}*"):
        try:
            newest = max([folder.stat().st_mtime, *(f.stat().st_mtime for f in folder.iterdir())])
        except OSError:  # removed meanwhile by its own import
            continue
        if folder.is_dir() and newest < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _quoted(names: list[str]) -> str:
    return ", ".join(connection.ops.quote_name(c) for c in names)


class ContactWriter:
    """``add`` chunks of a storage frame (the ``STAGED`` columns), then ``finish``."""

    def __init__(self, base_id: int) -> None:
        self.base_id = int(base_id)
        self.vendor = connection.vendor
        self.folder: Path | None = None
        self.adbc: Any = None  # adbc_driver_sqlite.dbapi.Connection, opened on first use
        self.schema = ""
        if self.vendor == "sqlite":
            if connection.in_atomic_block:
                self.schema = "temp"
                with connection.cursor() as cursor:
                    cursor.execute("DROP TABLE IF EXISTS temp.contact_stage")
                    cursor.execute(f"CREATE TEMP TABLE contact_stage ({', '.join(STAGED)})")
            else:
                self.schema = "contact_scratch"
                self.folder = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=settings.VAR_DIR))

    @property
    def stage_file(self) -> Path:
        """The scratch database the ADBC path stages into."""
        assert self.folder is not None
        return self.folder / "stage.sqlite3"

    def __enter__(self) -> ContactWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def add(self, frame: pl.DataFrame) -> None:
        """Write one chunk (its own transaction on PostgreSQL, the stage on SQLite)."""
        frame = frame.select(STAGED)
        if self.vendor == "postgresql":
            self._copy_postgres(frame)
        elif self.folder is not None:
            self._stage_adbc(frame)
        else:
            marks = ", ".join("?" * len(STAGED))
            with connection.cursor() as cursor:
                # The DB-API cursor itself: Django's wrapper only adds per-row overhead here.
                cursor.cursor.executemany(
                    f"INSERT INTO temp.contact_stage VALUES ({marks})", frame.iter_rows()
                )

    def _copy_postgres(self, frame: pl.DataFrame) -> None:
        table = Contact._meta.db_table
        buffer = io.BytesIO()
        frame.with_columns(base_id=pl.lit(self.base_id), observations=pl.lit("")).select(
            COLUMNS
        ).write_csv(buffer, include_header=False, null_value=r"\N")
        sql = f"COPY {table} ({_quoted(COLUMNS)}) FROM STDIN (FORMAT csv, NULL '\\N')"
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write(buffer.getbuffer())

    def _stage_adbc(self, frame: pl.DataFrame) -> None:
        if self.adbc is None:
            import adbc_driver_sqlite.dbapi as adbc

            self.adbc = adbc.connect(str(self.stage_file), autocommit=True)
            with self.adbc.cursor() as cursor:  # a private, disposable file: no journal
                cursor.execute("PRAGMA journal_mode=OFF")
                cursor.execute("PRAGMA synchronous=OFF")
        with self.adbc.cursor() as cursor:
            cursor.adbc_ingest("contact_stage", frame, mode="create_append")

    def finish(self) -> int:
        """Move the staged rows into ``contacts_contact`` (SQLite: one transaction); returns
        how many rows were moved (PostgreSQL: 0, its chunks are already in)."""
        if self.vendor != "sqlite":
            return 0
        if self.adbc is not None:
            self.adbc.close()
            self.adbc = None
        if self.folder is not None and not self.stage_file.exists():
            return 0  # nothing was added
        values = [
            str(self.base_id) if c == "base_id" else "''" if c == "observations" else f'"{c}"'
            for c in COLUMNS
        ]
        insert = (
            f"INSERT INTO {Contact._meta.db_table} ({_quoted(COLUMNS)}) "
            f"SELECT {', '.join(values)} FROM {self.schema}.contact_stage"
        )
        with connection.cursor() as cursor:
            if self.folder is not None:
                cursor.execute(f"ATTACH DATABASE %s AS {self.schema}", [str(self.stage_file)])
            try:
                with bulk_window(), transaction.atomic():
                    cursor.execute(insert)
                    moved = cursor.rowcount
            finally:
                if self.folder is not None:
                    cursor.execute(f"DETACH DATABASE {self.schema}")
        return moved

    def close(self) -> None:
        """Drop the stage (scratch file or temp table), whatever happened."""
        if self.adbc is not None:
            with contextlib.suppress(Exception):
                self.adbc.close()
            self.adbc = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        elif self.schema == "temp":
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS temp.contact_stage")
