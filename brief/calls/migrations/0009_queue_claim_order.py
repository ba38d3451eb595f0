"""The index of the call queue's claim order (``calls.claim_sql``), PostgreSQL only.

``ORDER BY next_attempt_at NULLS FIRST, id`` over a brief's open entries: with this partial
index a claim reads the entries in that order and stops at the first claimable one instead of
sorting the whole open queue. SQLite cannot declare ``NULLS FIRST`` in an index (its NULLs sort
first anyway, and the existing (brief, closed, next_attempt_at) index serves it), so the index
is made here rather than in ``QueueEntry.Meta``.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS queue_claim_order ON calls_queueentry "
    "(brief_id, next_attempt_at NULLS FIRST, id) WHERE NOT closed"
)
DROP = "DROP INDEX IF EXISTS queue_claim_order"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("calls", "0008_crm_export_import")]

    operations = [migrations.RunPython(create, drop)]
