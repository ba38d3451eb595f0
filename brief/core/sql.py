"""Small SQL pieces the ORM does not offer."""

from __future__ import annotations

import json
from collections.abc import Collection

from django.db import connection
from django.db.models.expressions import RawSQL


def in_list(values: Collection[int | str]) -> RawSQL:
    """The right side of ``field__in=`` for a long list of ids or keys, as one parameter (a
    JSON array read by ``json_each`` on SQLite, an array ``unnest``-ed on PostgreSQL).

    The ORM spends several microseconds per element preparing ``IN (%s, %s, …)``; the engine
    asks with thousands of ids per chunk, several times per chunk."""
    items = list(values)
    if not items:
        return RawSQL("SELECT NULL WHERE 1 = 0", [])
    if connection.vendor == "postgresql":
        kind = "bigint" if isinstance(items[0], int) else "text"
        return RawSQL(f"SELECT unnest(%s::{kind}[])", [items])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(items)])
