"""Settings of a database connection for one bulk write (a base moving in, an outbox)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection

BULK_CACHE_KIB = 128 * 1024


@contextlib.contextmanager
def bulk_window(cache_kib: int = BULK_CACHE_KIB) -> Iterator[None]:
    """On SQLite, a larger page cache while the block runs, then the usual one back and its
    pages released. A million-row insert touches every page of the table's indexes in random
    order; with the default 8 MB cache they are read and written again and again. Nothing on
    other databases."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
            cursor.execute("PRAGMA shrink_memory")
