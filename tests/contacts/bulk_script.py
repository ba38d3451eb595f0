"""Import a synthetic base on the database named by DATABASE_URL outside any transaction (the
bulk path a worker takes: ADBC staging on a SQLite file, COPY on PostgreSQL) and print the
stored contacts as JSON. Executed as a script by ``test_bulk.py``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from brief.contacts import importer  # noqa: E402
from tests.contacts.test_bulk import CHUNK_ROWS, import_file, stored_rows  # noqa: E402


def main(path: str) -> None:
    call_command("migrate", verbosity=0)
    importer.CHUNK_ROWS = CHUNK_ROWS
    status, base_id = import_file(Path(path))
    print(json.dumps({"vendor": connection.vendor, "status": status,  # noqa: T201
                      "rows": stored_rows(base_id)}))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
