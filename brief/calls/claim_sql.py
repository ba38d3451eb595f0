"""The call queue's claim and settle as SQL (used by :mod:`brief.calls.actions`).

Kept apart from the actions: SQL text, not sentences for the user."""

# The claim, in SQL (the one place the queue's claim rules are written). Open entries nobody
# holds (or whose hold expired), due, of no sweep or of a running one, whose person is not
# suppressed for calls (the person key or the number the advisor dials, listed for calls or all
# channels: ``contacts.suppressed_q``) nor was contacted today on any channel (the daily cap,
# ``dispatch.DailyContact``; a sweep's daily-cap exception lifts it); outside the call window
# only the entries of a sweep granted the windows exception ({windows}). The oldest due first,
# never-tried ones (no ``next_attempt_at``) before. One statement picks and takes the row:
# ``UPDATE … WHERE id = (SELECT … LIMIT 1 [FOR UPDATE SKIP LOCKED]) RETURNING …`` — on
# PostgreSQL concurrent claimers skip each other's locked candidates; SQLite runs one writer at
# a time. Written as SQL because the ORM cannot express UPDATE … RETURNING, and compiling the
# equivalent querysets cost more CPU per claim than the claim itself (docs/perf/). The rules
# are tested in tests/calls/test_queue.py and test_sweep_queue.py on both databases; the
# partial index ``queue_claim_order`` (migration 0009, PostgreSQL) serves the ORDER BY.
CLAIM = """
UPDATE {queue} SET holder_id = %s, held_until = %s, claimed_at = %s WHERE id = (
    SELECT q.id FROM {queue} q
    JOIN {contact} c ON c.id = q.contact_id
    LEFT JOIN {sweep} s ON s.id = q.sweep_id
    WHERE q.brief_id = %s AND NOT q.closed
      AND (q.sweep_id IS NULL OR s.state = %s)
      AND (q.holder_id IS NULL OR q.held_until < %s)
      AND COALESCE(q.next_attempt_at, %s) <= %s
      AND (COALESCE(s.ignore_daily_cap, FALSE) OR NOT EXISTS (
          SELECT 1 FROM {daily} d WHERE d.person = q.person AND d.day = %s))
      AND NOT EXISTS (
          SELECT 1 FROM {suppression} x WHERE x.channel IN (%s, %s)
          AND x.value IN (q.person, COALESCE(NULLIF(c.mobile, ''), c.landline)))
      {windows}
    ORDER BY q.next_attempt_at {nulls_first}, q.id LIMIT 1 {lock}
) RETURNING {columns}
"""
HELD = (
    "SELECT {columns} FROM {queue} WHERE brief_id = %s AND holder_id = %s AND held_until >= %s "
    "AND NOT closed ORDER BY id LIMIT 1"
)
SETTLE = (
    "UPDATE {queue} SET holder_id = NULL, held_until = NULL, "
    "attempts = attempts + 1, closed = %s, next_attempt_at = %s "
    "WHERE brief_id = %s AND contact_id = %s RETURNING sweep_id"
)
PG_LOCK = "FOR UPDATE OF q SKIP LOCKED"
