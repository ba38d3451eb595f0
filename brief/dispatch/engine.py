"""The dispatch engine: outbox, claiming, contact rules, sending, bookkeeping, callbacks.

A sweep's outbox (one :class:`Message` per recipient) is written with one ``INSERT … SELECT``
before anything is sent. Runners claim chunks by conditional update (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), apply the contact rules at send time (windows, one contact per person
per day, suppression lists, the abroad rule), render, send through the provider adapter under
the account's rate limit, and record the outcome in bulk. A message is marked ``sending``
(committed) before it goes on the wire, so after a crash it is reconciled or marked ``unknown``,
never sent twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from brief.contacts.actions import segment_queryset
from brief.contacts.models import (
    Contact,
    channel_address_sql,
    person_key_sql,
    suppressed_q,
)
from brief.core import clock as cluster_clock
from brief.core.sql import in_list

from . import circuit, rules
from .choices import (
    COUNT_KEYS,
    PENDING,
    QUEUE_CHANNELS,
    RANK,
    REASONS,
    REQUEUE_EFFECTS,
    CircuitState,
    ErrorEffect,
    Include,
    MessageStatus,
    SweepState,
)
from .models import (
    Attempt,
    DailyContact,
    Message,
    ProviderAccount,
    ProviderCircuit,
    StatusEvent,
    Sweep,
)
from .providers.base import OutgoingMessage, ProviderError, SendResult, StatusUpdate, get_provider
from .ratelimit import bucket_for, slow_down, throttle
from .segments import earlier_sweeps_filter

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A message the provider could not take (5xx, 429 without Retry-After, timeout) waits this long.
UNAVAILABLE_RETRY_SECONDS = 30
CLAIMABLE = (MessageStatus.QUEUED, MessageStatus.DEFERRED)
TIMESTAMP: dict[str, str] = {
    MessageStatus.SENT: "sent_at",
    MessageStatus.DELIVERED: "delivered_at",
    MessageStatus.READ: "read_at",
    MessageStatus.VOICEMAIL: "delivered_at",
    MessageStatus.FAILED: "failed_at",
    MessageStatus.NO_ANSWER: "failed_at",
    MessageStatus.BOUNCED: "failed_at",
}


def clock() -> dt.datetime:
    """The engine's clock: the deployment's (:mod:`brief.core.clock`), so workers whose clocks
    disagree still agree on claims; tests move it to check windows across weekends and holidays."""
    return cluster_clock.now()


windows = rules.windows


def stuck_seconds() -> int:
    return int(getattr(settings, "DISPATCH_STUCK_SECONDS", 120))


def close_broken_connection() -> None:
    """Drop this thread's database connection after it broke (the next query reconnects)."""
    with contextlib.suppress(DatabaseError):
        connection.close()


def until_db_answers(step, *args, **kwargs):
    """Run a database step of a runner, waiting for the database to come back if it went away
    (a PostgreSQL restart or fail-over) for up to ``DISPATCH_DB_WAIT_SECONDS``: what a batch
    sent is recorded once the database answers, instead of being left in ``sending``.

    Every step given is idempotent or atomic (conditional updates, ``ON CONFLICT DO NOTHING``,
    one transaction), so running it again after a broken connection changes nothing twice.
    Inside an outer transaction (tests) the error is raised at once."""
    deadline = time.monotonic() + float(getattr(settings, "DISPATCH_DB_WAIT_SECONDS", 60))
    delay = 0.2
    while True:
        try:
            return step(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            log.warning("database unavailable (%s); trying again in %.1f s", exc, delay)
            close_broken_connection()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


# --- outbox ----------------------------------------------------------------------------


def recipients_queryset(sweep: Sweep):
    """The contacts a sweep targets: segment (or whole base), channel eligibility, include rule."""
    base = sweep.base
    segment = sweep.segment
    qs = (
        segment_queryset(base, segment.filters)
        if segment is not None
        else Contact.objects.filter(base=base)
    )
    qs = qs.filter(**{f"can_{sweep.channel}": True})
    if sweep.include != Include.ALL:  # not_delivered / not_contacted: a SWEEP_RESULTS key
        qs = qs.filter(earlier_sweeps_filter(sweep.brief_id, sweep.include, before=sweep.number))
    return qs


@transaction.atomic
def write_outbox(sweep: Sweep) -> int:
    """Write one queued message per recipient; suppressed and abroad ones are marked at once."""
    if Message.objects.filter(sweep=sweep).exists():
        return sweep.total
    sub_sql, sub_params = recipients_queryset(sweep).values("id").query.sql_with_params()
    q = connection.ops.quote_name
    columns = ", ".join(
        q(c)
        for c in [
            "sweep_id",
            "contact_id",
            "person",
            "to",
            "status",
            "rank",
            "attempts",
            "permanent",
            "provider_message_id",
            "error_code",
            "error_detail",
        ]
    )
    sql = (
        f"INSERT INTO {Message._meta.db_table} ({columns}) "
        f"SELECT %s, c.id, {person_key_sql('c')}, {channel_address_sql(sweep.channel, 'c')}, "
        f"%s, 0, 0, %s, '', '', '' FROM {Contact._meta.db_table} c "
        f"WHERE c.id IN ({sub_sql}) ORDER BY c.row"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [sweep.pk, MessageStatus.QUEUED, False, *sub_params])
    messages = Message.objects.filter(sweep=sweep)
    exclusions = rules.outbox_exclusions(
        sweep.channel, address="to", person="person", abroad="contact__abroad"
    )
    for code, held in exclusions:
        messages.filter(held).update(
            status=MessageStatus.SUPPRESSED,
            rank=RANK[MessageStatus.SUPPRESSED],
            error_code=code,
            error_detail=_detail(code),
            permanent=True,
        )
    total = messages.count()
    Sweep.objects.filter(pk=sweep.pk).update(total=total)
    sweep.total = total
    return total


def _detail(code: str) -> str:
    """The Spanish reason written on a held-back message (capitalized, as a sentence)."""
    label = gettext(str(REASONS[code].label))
    return label[:1].upper() + label[1:]


# --- claiming --------------------------------------------------------------------------


def claim(sweep_id: int, size: int, now: dt.datetime) -> list[int]:
    """Atomically move up to ``size`` due messages to ``sending``; returns their ids."""
    table = Message._meta.db_table
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET status = %s, rank = %s, claimed_at = %s "
        f"WHERE id IN (SELECT id FROM {table} WHERE sweep_id = %s AND status IN (%s, %s) "
        f"AND (not_before IS NULL OR not_before <= %s) ORDER BY id LIMIT %s{lock}) "
        f"AND status IN (%s, %s) RETURNING id"
    )
    when = _adapt(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                MessageStatus.SENDING,
                RANK[MessageStatus.SENDING],
                when,
                sweep_id,
                *CLAIMABLE,
                when,
                size,
                *CLAIMABLE,
            ],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _adapt(value):
    """Datetimes as the ORM stores them (raw SQL must match the ORM's format)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


@contextlib.contextmanager
def _bulk_cursor() -> Iterator[Any]:
    """A cursor for ``executemany`` of many rows. On PostgreSQL, a server-side binding
    cursor of the same connection (and transaction): psycopg then prepares the statement once
    and pipelines the rows, where Django's client-side binding cursor sent each row as a new
    statement for the server to parse and plan (most of a PostgreSQL sweep's time)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg  # Django's connection makes client-side binding cursors by default

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as server_side:
        yield server_side


def _bulk_update(rows: list[tuple], sql: str) -> None:
    if rows:
        memo: dict = {}

        def adapt(value):
            if isinstance(value, dt.datetime):
                if value not in memo:
                    memo[value] = _adapt(value)
                return memo[value]
            return value

        # One transaction: in autocommit each row would be its own commit (40 µs apiece on
        # SQLite, the daily-cap insert was a third of a simulated sweep's time).
        with transaction.atomic(savepoint=False), _bulk_cursor() as cursor:
            cursor.executemany(sql, [tuple(adapt(v) for v in row) for row in rows])


def _set_status_sql(*extra: str) -> str:
    sets = ", ".join(["status = %s", "rank = %s", "updated_at = %s", *extra])
    return f"UPDATE {Message._meta.db_table} SET {sets} WHERE id = %s AND status = %s"


# --- processing one chunk --------------------------------------------------------------


_CONTACT_COLUMNS = (
    "first_names",
    "last_names",
    "full_name",
    "doc_number",
    "doc_type",
    "mobile",
    "email",
    "city",
    "department",
    "country",
    "custom",
    "abroad",
)


class Pending:
    """A claimed message with the contact fields rendering needs (no model instances)."""

    __slots__ = ("attempts", "contact", "contact_id", "id", "person", "to")

    def __init__(self, row: tuple):
        self.id, self.to, self.person, self.attempts, self.contact_id = row[:5]
        self.contact = _ContactView(row[5:])


class _ContactView:
    __slots__ = _CONTACT_COLUMNS

    def __init__(self, values: tuple):
        for name, value in zip(_CONTACT_COLUMNS, values, strict=True):
            setattr(self, name, value)


def load(ids: list[int]) -> list[Pending]:
    """The claimed messages with their contacts, in id order, in one query (plain SQL: the
    ORM's per-value conversions were a tenth of a simulated sweep)."""
    if not ids:
        return []
    q = connection.ops.quote_name
    ids_sql, ids_params = in_list(ids).as_sql(None, connection)  # type: ignore[arg-type]
    columns = ", ".join(f"c.{q(c)}" for c in _CONTACT_COLUMNS)
    sql = (
        f"SELECT m.id, m.{q('to')}, m.person, m.attempts, m.contact_id, {columns} "
        f"FROM {Message._meta.db_table} m JOIN {Contact._meta.db_table} c ON c.id = m.contact_id "
        f"WHERE m.id IN {ids_sql} ORDER BY m.id"
    )
    custom = _CONTACT_COLUMNS.index("custom") + 5
    abroad = _CONTACT_COLUMNS.index("abroad") + 5
    with connection.cursor() as cursor:
        cursor.execute(sql, ids_params)
        rows = cursor.fetchall()
    pending = []
    for row in rows:
        values = list(row)
        if isinstance(values[custom], str):  # SQLite gives the JSON text, PostgreSQL the dict
            values[custom] = json.loads(values[custom])
        values[abroad] = bool(values[abroad])
        pending.append(Pending(tuple(values)))
    return pending


class Runner:
    """Sends the messages of one sweep, chunk after chunk, until done, paused or out of time."""

    def __init__(self, sweep: Sweep):
        from brief.content.render import compile_template

        self.sweep = sweep
        self.account = sweep.account
        self.provider = get_provider(self.account)
        self.renderer = compile_template(sweep.template)
        self.bucket = bucket_for(self.account)
        self.runner_id = uuid.uuid4().hex[:8]
        self.circuit: tuple[str, int] = (CircuitState.CLOSED, 0)

    def state(self) -> str | None:
        """The sweep's state now (``None`` if it was deleted); reads the account's circuit
        (state, consecutive failures) in the same query."""
        row = (
            Sweep.objects.filter(pk=self.sweep.pk)
            .values_list(
                "state", "provider_account__circuit__state", "provider_account__circuit__failures"
            )
            .first()
        )
        if row is None:
            return None
        self.circuit = (row[1] or CircuitState.CLOSED, row[2] or 0)
        return row[0]

    def run(self, *, budget_seconds: float = 20.0) -> dict:
        """Process chunks; returns what to do next: {"next": "continue"|"at"|"done"|"stop"}."""
        deadline = time.monotonic() + budget_seconds
        try:
            while time.monotonic() < deadline:
                if until_db_answers(self.state) != SweepState.RUNNING:
                    return {"next": "stop"}
                if self.circuit[0] == CircuitState.OPEN:  # another runner found it down
                    from .actions import hold_for_circuit

                    reason = ProviderCircuit.objects.get(account=self.account).reason
                    hold_for_circuit(self.account, reason)
                    return {"next": "stop"}
                now = clock()
                opens = rules.window_wait(
                    now, self.sweep.channel, ignore_windows=self.sweep.ignore_windows
                )
                if opens is not None:
                    return {"next": "at", "at": opens}
                ids = until_db_answers(claim, self.sweep.pk, self.chunk_size(), now)
                if not ids:
                    return self._idle(now)
                self.process(ids, now)
            return {"next": "continue"}
        finally:
            self.provider.close()

    def chunk_size(self) -> int:
        """At most one second of the account's rate: a claimed chunk never waits long for its
        tokens in ``sending`` (a pause acts within 2 s; no chunk outlives its lease). A
        half-open circuit probes the provider with one message."""
        if self.circuit[0] == CircuitState.HALF_OPEN:
            return 1
        per_second = max(1, int(self.account.rate_per_second or 1))
        return max(1, min(self.account.chunk_size, per_second))

    def _idle(self, now) -> dict:
        pending = Message.objects.filter(sweep=self.sweep, status__in=list(PENDING))
        upcoming = (
            pending.filter(not_before__gt=now)
            .order_by("not_before")
            .values_list("not_before", flat=True)
            .first()
        )
        if upcoming:
            return {"next": "at", "at": upcoming}
        if pending.filter(status=MessageStatus.SENDING).exists():
            return {"next": "at", "at": now + dt.timedelta(seconds=stuck_seconds())}
        return {"next": "done"}

    def prepare(self, ids: list[int], now: dt.datetime) -> list[Pending]:
        """The claimed messages that may go now (contact rules applied; idempotent)."""
        messages = load(ids)
        messages = self._drop_suppressed(messages, now)
        if not self.sweep.ignore_daily_cap:
            messages = self._apply_daily_cap(messages, now)
        gap = rules.pacing_gap(self.account)
        if gap:
            messages = self._apply_pacing(messages, now, gap)
        return messages

    def process(self, ids: list[int], now: dt.datetime) -> None:
        messages = until_db_answers(self.prepare, ids, now)
        batch, skipped = self._render(messages)
        until_db_answers(self._fail, skipped, now)
        if not batch:
            return
        throttle(self.bucket, len(batch))
        try:
            results = self.provider.send(batch)
            failures = sum(1 for r in results if r.unavailable and not r.accepted)
        except ProviderError as exc:
            results = [
                SendResult(
                    m.id,
                    False,
                    permanent=exc.permanent,
                    code=exc.code or "batch",
                    detail=str(exc)[:300],
                    unavailable=not exc.permanent,
                )
                for m in batch
            ]
            failures = 0 if exc.permanent else 1  # one refused batch is one failure
        by_id = {m.id: m for m in messages}
        done = clock()
        self._record(results, by_id, done)
        accepted = sum(1 for r in results if r.accepted)
        if failures or (accepted and self.circuit != (CircuitState.CLOSED, 0)):
            last = next((r.code for r in results if r.unavailable and not r.accepted), "")
            until_db_answers(
                circuit.record, self.account, accepted=accepted, failures=failures, code=last,
                now=done,
            )  # fmt: skip
        after = getattr(self.provider, "after_bookkeeping", None)
        if after:
            until_db_answers(after, results, batch)
        until_db_answers(
            apply_pending_events,
            self.account.code,
            [r.provider_message_id for r in results if r.provider_message_id],
        )

    def _drop_suppressed(self, messages: list[Pending], now) -> list[Pending]:
        hit_ids = set(
            Message.objects.filter(id__in=in_list([m.id for m in messages]))
            .filter(suppressed_q(self.sweep.channel, address="to", person="person"))
            .values_list("id", flat=True)
        )
        if not hit_ids:
            return messages
        hit = [m for m in messages if m.id in hit_ids]
        _bulk_update(
            [
                (
                    MessageStatus.SUPPRESSED,
                    RANK[MessageStatus.SUPPRESSED],
                    now,
                    "suppressed",
                    _detail("suppressed"),
                    m.id,
                    MessageStatus.SENDING,
                )
                for m in hit
            ],
            _set_status_sql("error_code = %s", "error_detail = %s", "permanent = TRUE"),
        )
        return [m for m in messages if m.id not in hit_ids]

    def _apply_daily_cap(self, messages: list[Pending], now) -> list[Pending]:
        """One contact per person per day: the message that takes the day goes; the others
        wait for the next day's window (``daily_cap``)."""
        today = rules.contact_day(now)
        table = DailyContact._meta.db_table
        _bulk_update(
            [(m.person, today, m.id) for m in messages],
            f"INSERT INTO {table} (person, day, message_id) VALUES (%s, %s, %s) "
            f"ON CONFLICT (person, day) DO NOTHING",
        )
        owners = rules.day_owners([m.person for m in messages], today)  # None: a call took it
        capped = [m for m in messages if owners.get(m.person) != m.id]
        if capped:
            later = rules.next_day_open(now, self.sweep.channel)
            self._defer([(m, later) for m in capped], "daily_cap", now)
        return [m for m in messages if owners.get(m.person) == m.id]

    def _apply_pacing(self, messages: list[Pending], now, gap: dt.timedelta) -> list[Pending]:
        """Per-recipient pacing some providers demand: a minimum gap between two messages to
        the same person through this account (``options["per_recipient_seconds"]``)."""
        last = rules.last_sends([m.contact_id for m in messages], self.account, now, gap)
        waiting = [m for m in messages if m.contact_id in last]
        self._defer([(m, last[m.contact_id] + gap) for m in waiting], "pacing", now)
        held = {m.id for m in waiting}
        return [m for m in messages if m.id not in held]

    @staticmethod
    def _defer(items: list[tuple[Pending, dt.datetime]], code: str, now) -> None:
        """Hold claimed messages back until a moment, with the rule's code and Spanish reason."""
        detail = _detail(code)
        _bulk_update(
            [
                (
                    MessageStatus.DEFERRED,
                    RANK[MessageStatus.DEFERRED],
                    now,
                    until,
                    code,
                    detail,
                    m.id,
                    MessageStatus.SENDING,
                )
                for m, until in items
            ],
            _set_status_sql("not_before = %s", "error_code = %s", "error_detail = %s"),
        )

    def _render(self, messages: list[Pending]) -> tuple[list[OutgoingMessage], list[tuple]]:
        from brief.content.links import unsubscribe_url, with_open_pixel
        from brief.content.render import contact_fields, email_headers

        template = self.sweep.template
        media_url = ""
        if self.sweep.channel == "voice" and template.voice_audio_id:
            from brief.content.links import creative_url

            media_url = creative_url(template.voice_audio_id)
        batch, skipped = [], []
        for m in messages:
            rendered = self.renderer.render(contact_fields(m.contact), message_id=m.id)
            if rendered.skip_reason:
                skipped.append((m, rendered.skip_reason))
                continue
            headers, html = {}, rendered.html
            if self.sweep.channel == "email":
                headers = email_headers(unsubscribe_url(m.id))
                if html:
                    html = with_open_pixel(html, m.id)
            batch.append(
                OutgoingMessage(
                    id=m.id,
                    to=m.to,
                    channel=self.sweep.channel,
                    text=rendered.text,
                    subject=rendered.subject,
                    html=html,
                    headers=headers,
                    params=list(rendered.wa_params),
                    button_params=list(rendered.wa_button),
                    template_name=template.wa_name or "",
                    language=template.wa_language or "",
                    sender=template.sender or "",
                    reply_to=template.reply_to or "",
                    media_url=media_url,
                )
            )
        return batch, skipped

    def _fail(self, skipped: list[tuple], now) -> None:
        if not skipped:
            return
        with transaction.atomic():
            _bulk_update(
                [
                    (
                        MessageStatus.FAILED,
                        RANK[MessageStatus.FAILED],
                        now,
                        now,
                        "missing_data",
                        reason[:300],
                        m.id,
                        MessageStatus.SENDING,
                    )
                    for m, reason in skipped
                ],
                _set_status_sql(
                    "failed_at = %s", "error_code = %s", "error_detail = %s", "permanent = TRUE"
                ),
            )
            self._attempts([(m.id, now, "skipped", "missing_data", r[:300]) for m, r in skipped])

    def _record(self, results: list[SendResult], by_id: dict[int, Pending], now) -> None:
        """Write a batch's results in one transaction: sent, failed for good, or queued again
        with a backoff, plus one attempt row each."""
        # Error effects (pause, throttle, suppress, retry tomorrow…) are carried out after it;
        # a message refused for a reason that is not its own goes back to the queue instead.
        # A provider that could not take a message (``unavailable``) is handled here: the
        # message waits (``Retry-After`` when given) without counting a try, the account slows.
        effects = [
            (r.id, r.effect, r.code, r.detail)
            for r in results
            if r.effect and not r.accepted and not r.unavailable and r.id in by_id
        ]
        waits = {r.id: r.retry_after for r in results if r.retry_after is not None}
        unavailable = [r for r in results if r.unavailable and not r.accepted]
        kept = [
            r for r in results if r.accepted or r.unavailable or r.effect not in REQUEUE_EFFECTS
        ]
        sent, failed, retry, attempts = _sort_results(kept, by_id, now)
        until_db_answers(self._write_results, sent, failed, retry, attempts)
        if unavailable:
            self._slow_down(unavailable)
        if effects:
            from .actions import apply_provider_effects

            until_db_answers(apply_provider_effects, self.account, effects, waits=waits)

    def _write_results(self, sent, failed, retry, attempts) -> None:
        """One batch's outcome in one transaction (all of it or nothing: safe to run again)."""
        with transaction.atomic():
            _bulk_update(
                sent, _set_status_sql("sent_at = %s", "provider_message_id = %s", "attempts = %s")
            )
            _bulk_update(
                failed,
                _set_status_sql(
                    "failed_at = %s",
                    "error_code = %s",
                    "error_detail = %s",
                    "attempts = %s",
                    "permanent = TRUE",
                ),
            )
            _bulk_update(
                retry,
                _set_status_sql(
                    "not_before = %s", "error_code = %s", "error_detail = %s", "attempts = %s"
                ),
            )
            self._attempts(attempts)

    def _slow_down(self, unavailable: list[SendResult]) -> None:
        """The provider could not take messages: the account's next sends (on every worker
        sharing its bucket) wait as long as it asked (``Retry-After``), or the usual push-back
        (a throttle costs more than a server error), at most the throttle pause."""
        from .actions import SLOW_DOWN_SECONDS, THROTTLE_PAUSE_SECONDS

        asked = [r.retry_after for r in unavailable if r.retry_after is not None]
        if asked:
            seconds = max(asked)
        elif any(r.effect == ErrorEffect.THROTTLE for r in unavailable):
            seconds = THROTTLE_PAUSE_SECONDS
        else:
            seconds = SLOW_DOWN_SECONDS
        if seconds > 0:
            slow_down(self.bucket, min(seconds, THROTTLE_PAUSE_SECONDS))

    @staticmethod
    def _attempts(rows: list[tuple]) -> None:
        table = Attempt._meta.db_table
        _bulk_update(
            [
                (mid, at, outcome, code or "", (detail or "")[:300])
                for mid, at, outcome, code, detail in rows
            ],
            f"INSERT INTO {table} (message_id, at, outcome, code, detail) "
            f"VALUES (%s, %s, %s, %s, %s)",
        )


def _sort_results(
    results: list[SendResult], by_id: dict[int, Pending], now
) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Rows for the sent, failed and retried messages of a batch and for their attempts.

    A refusal is final when the provider says it is permanent or after ``MAX_ATTEMPTS``
    tries; otherwise the message is queued again after an exponential backoff.
    """
    sent, failed, retry, attempts = [], [], [], []
    for r in results:
        message = by_id.get(r.id)
        if message is None:
            continue
        tries = message.attempts + 1
        if r.accepted:
            sent.append(
                (
                    MessageStatus.SENT,
                    RANK[MessageStatus.SENT],
                    now,
                    now,
                    r.provider_message_id,
                    tries,
                    r.id,
                    MessageStatus.SENDING,
                )
            )
            attempts.append((r.id, now, "accepted", r.code, r.detail))
        elif r.unavailable:  # the provider's trouble, not the message's: no try counted
            wait = UNAVAILABLE_RETRY_SECONDS if r.retry_after is None else r.retry_after
            retry.append(
                (
                    MessageStatus.QUEUED,
                    RANK[MessageStatus.QUEUED],
                    now,
                    now + dt.timedelta(seconds=wait),
                    r.code,
                    r.detail[:300],
                    message.attempts,
                    r.id,
                    MessageStatus.SENDING,
                )
            )
            attempts.append((r.id, now, "temporary", r.code, r.detail))
        elif r.permanent or tries >= MAX_ATTEMPTS:
            failed.append(
                (
                    MessageStatus.FAILED,
                    RANK[MessageStatus.FAILED],
                    now,
                    now,
                    r.code,
                    r.detail[:300],
                    tries,
                    r.id,
                    MessageStatus.SENDING,
                )
            )
            attempts.append(
                (r.id, now, "permanent" if r.permanent else "temporary", r.code, r.detail)
            )
        else:
            backoff = now + dt.timedelta(seconds=30 * 2 ** (tries - 1))
            retry.append(
                (
                    MessageStatus.QUEUED,
                    RANK[MessageStatus.QUEUED],
                    now,
                    backoff,
                    r.code,
                    r.detail[:300],
                    tries,
                    r.id,
                    MessageStatus.SENDING,
                )
            )
            attempts.append((r.id, now, "temporary", r.code, r.detail))
    return sent, failed, retry, attempts


# --- status callbacks ------------------------------------------------------------------


def apply_status_updates(
    provider_code: str, updates: Iterable[StatusUpdate], *, store: bool = True
) -> dict[str, int]:
    """Apply provider statuses: forward only, idempotent, out-of-order safe.

    Unknown provider ids are kept as pending events (a receipt may arrive before the send is
    recorded) and applied when the send is recorded; they never make the callback fail.
    Events are stored once per (account, provider id, status), so a replay writes nothing new.
    Callers go through :func:`brief.dispatch.hooks.ingest`.

    This is the hot path of every callback, so it speaks SQL prepared before the write lock is
    taken: one lookup, one ``UPDATE … WHERE rank < new rank`` per timestamp column and one
    ``INSERT … ON CONFLICT DO NOTHING`` of the events, in one transaction.
    """
    updates = [u for u in updates if u.status in TIMESTAMP and u.provider_message_id]
    if not updates:
        return {"applied": 0, "pending": 0}
    now = timezone.now()
    ids = list({u.provider_message_id for u in updates})
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        message_ids = _messages_of_account(cursor, provider_code, ids)
        known = set(message_ids)
        by_column: dict[str, list[tuple]] = defaultdict(list)
        unmatched = []
        stamp = _adapt(now)
        times: dict[object, object] = {}  # a batch's updates mostly share their time
        for u in updates:
            if u.provider_message_id not in known:
                unmatched.append(u)
                continue
            if u.at not in times:
                times[u.at] = _adapt(_parse_time(u.at) or now)
            at = times[u.at]
            rank = RANK[u.status]
            code, detail = u.code[:60], u.detail[:300]
            by_column[TIMESTAMP[u.status]].extend(
                (u.status, rank, stamp, at, code, code, detail, detail, mid, rank)
                for mid in message_ids[u.provider_message_id]
            )
        with _bulk_cursor() as bulk:
            for column, rows in by_column.items():
                bulk.executemany(_STATUS_SQL.format(column=column), rows)
        for u in updates:
            if u.evidence and u.provider_message_id in known:
                Message.objects.filter(id__in=message_ids[u.provider_message_id]).update(
                    evidence=u.evidence
                )
        if store or unmatched:
            # as the model writes them: the raw item encrypted, the evidence as each backend's JSON
            payload_field = StatusEvent._meta.get_field("payload")
            evidence_field = StatusEvent._meta.get_field("evidence")
            received = _adapt(now)
            with _bulk_cursor() as bulk:
                bulk.executemany(
                    _EVENT_SQL,
                    [
                        (
                            provider_code,
                            u.provider_message_id,
                            u.status,
                            payload_field.get_db_prep_save(u.raw or {}, connection),
                            received,
                            u.provider_message_id in known,
                            _adapt(_parse_time(u.at)),
                            u.code[:60],
                            u.detail[:300],
                            u.effect,
                            evidence_field.get_db_prep_save(u.evidence or {}, connection),
                        )
                        for u in (updates if store else unmatched)
                    ],
                )
    effects = [
        (mid, u.effect, u.code, u.detail)
        for u in updates
        if getattr(u, "effect", "") and u.provider_message_id in known
        for mid in message_ids[u.provider_message_id]
    ]
    if effects:
        from .actions import apply_provider_effects

        account = ProviderAccount.objects.filter(code=provider_code).first()
        if account is not None:
            apply_provider_effects(account, effects)
    return {"applied": len(updates) - len(unmatched), "pending": len(unmatched)}


_STATUS_SQL = (
    f"UPDATE {Message._meta.db_table} SET status = %s, rank = %s, updated_at = %s, "
    "{column} = %s, "
    "error_code = CASE WHEN %s = '' THEN error_code ELSE %s END, "
    "error_detail = CASE WHEN %s = '' THEN error_detail ELSE %s END "
    "WHERE id = %s AND rank < %s"
)
# One row per (account, provider id, status): a replay inserts nothing.
_EVENT_SQL = (
    f"INSERT INTO {StatusEvent._meta.db_table} "
    "(provider, provider_message_id, status, payload, received_at, applied, "
    "at, code, detail, effect, evidence) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)


def _messages_of_account(cursor, provider_code: str, ids: list[str]) -> dict[str, list[int]]:
    """Our message ids per provider id, among the messages sent through ``provider_code``.

    Provider ids are only unique within one provider: a callback moves only the messages sent
    through its own account. The lookup is driven by the provider-id index (nothing constrains
    the joined tables), then the account is checked here."""
    found: dict[str, list[int]] = defaultdict(list)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        cursor.execute(
            f"SELECT m.provider_message_id, m.id, a.code FROM {Message._meta.db_table} m "
            f"JOIN {Sweep._meta.db_table} s ON s.id = m.sweep_id "
            f"JOIN {ProviderAccount._meta.db_table} a ON a.id = s.provider_account_id "
            f"WHERE m.provider_message_id IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
        )
        for pid, mid, code in cursor.fetchall():
            if code == provider_code:
                found[pid].append(mid)
    return found


def apply_pending_events(provider_code: str, provider_ids: list[str]) -> int:
    """Apply early callbacks stored for these provider ids (now that the sends are recorded),
    with everything they carried: code, detail, effect (a suppression, a fallback flag…) and
    evidence. Events whose send is still not recorded stay pending, untouched."""
    if not provider_ids:
        return 0
    pending = list(
        StatusEvent.objects.filter(
            provider=provider_code, applied=False, provider_message_id__in=in_list(provider_ids)
        )
    )
    if not pending:
        return 0
    recorded = set(
        Message.objects.filter(
            provider_message_id__in=in_list({e.provider_message_id for e in pending}),
            sweep__provider_account__code=provider_code,
        ).values_list("provider_message_id", flat=True)
    )
    pending = [e for e in pending if e.provider_message_id in recorded]
    if not pending:
        return 0
    apply_status_updates(
        provider_code,
        [
            StatusUpdate(
                e.provider_message_id,
                e.status,
                at=e.at or e.received_at,
                code=e.code,
                detail=e.detail,
                raw=e.payload if isinstance(e.payload, dict) else {},
                evidence=e.evidence or {},
                effect=e.effect,
            )
            for e in pending
        ],
        store=False,
    )
    StatusEvent.objects.filter(pk__in=[e.pk for e in pending]).update(applied=True)
    return len(pending)


#: First wait before re-sending an e-mail whose server answered a transient failure (4.x.x);
#: doubled on each further try. A mailbox over quota is rarely fixed in minutes.
SOFT_BOUNCE_WAIT = dt.timedelta(hours=1)


def retry_after_soft_bounce(message_ids: list[int], *, code: str, detail: str) -> dict[str, int]:
    """Put ``sent`` e-mails whose receiving server gave up on a transient failure (a DSN with
    ``Action: failed`` and ``Status: 4.x.x``) back in the queue as ``deferred`` after a wait;
    after :data:`MAX_ATTEMPTS` tries they are ``bounced``. Only ``sent`` messages move (a
    message already delivered, read or re-queued is left alone), so a rerun changes nothing.
    A finished sweep with a re-queued message runs again (its runner is kicked on commit).
    """
    now = clock()  # the runners' clock: the wait is compared with it when claiming
    rows = Message.objects.filter(pk__in=message_ids, status=MessageStatus.SENT).values_list(
        "pk", "attempts", "sweep_id"
    )
    retry, give_up, sweeps = [], [], set()
    for pk, attempts, sweep_id in rows:
        if attempts >= MAX_ATTEMPTS:
            give_up.append(
                (MessageStatus.BOUNCED, RANK[MessageStatus.BOUNCED], now, now, code, detail, pk,
                 MessageStatus.SENT)
            )  # fmt: skip
        else:
            wait = SOFT_BOUNCE_WAIT * 2 ** max(0, attempts - 1)
            retry.append(
                (MessageStatus.DEFERRED, RANK[MessageStatus.DEFERRED], now, now + wait, code,
                 detail, pk, MessageStatus.SENT)
            )  # fmt: skip
            sweeps.add(sweep_id)
    with transaction.atomic():
        _bulk_update(
            retry, _set_status_sql("not_before = %s", "error_code = %s", "error_detail = %s")
        )
        _bulk_update(
            give_up,
            _set_status_sql(
                "failed_at = %s", "error_code = %s", "error_detail = %s", "permanent = TRUE"
            ),
        )
        Runner._attempts([(row[6], now, "temporary", code, detail) for row in retry + give_up])
        reopened = list(
            Sweep.objects.filter(pk__in=sweeps, state=SweepState.DONE).values_list("pk", flat=True)
        )
        Sweep.objects.filter(pk__in=reopened).update(state=SweepState.RUNNING, finished_at=None)
        if reopened:
            from .tasks import run_sweep

            transaction.on_commit(lambda: [run_sweep.delay(pk) for pk in reopened])
    return {"deferred": len(retry), "bounced": len(give_up)}


def _parse_time(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --- crash recovery --------------------------------------------------------------------


def reconcile_stuck(*, older_than: int | None = None, sweep_id: int | None = None) -> dict:
    """Messages left in ``sending`` by a dead worker: ask the provider, else mark ``unknown``.

    Never puts them back in the queue: resending could reach a person twice.
    """
    limit = clock() - dt.timedelta(seconds=stuck_seconds() if older_than is None else older_than)
    stuck = Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=limit)
    if sweep_id:
        stuck = stuck.filter(sweep_id=sweep_id)
    outcome = {"sent": 0, "failed": 0, "unknown": 0}
    by_sweep: dict[int, list[int]] = defaultdict(list)
    for mid, sid in stuck.values_list("id", "sweep_id"):
        by_sweep[sid].append(mid)
    now = timezone.now()
    for sid, ids in by_sweep.items():
        sweep = Sweep.objects.select_related("provider_account").get(pk=sid)
        provider = get_provider(sweep.account)
        known = provider.lookup(ids)
        rows = defaultdict(list)
        for mid in ids:
            status = known.get(mid)
            status = (
                status
                if status in {MessageStatus.SENT, MessageStatus.FAILED}
                else MessageStatus.UNKNOWN
            )
            rows[status].append(
                (
                    status,
                    RANK[status],
                    now,
                    "reconciled",
                    provider.provider_id_for(mid),
                    mid,
                    MessageStatus.SENDING,
                )
            )
            outcome[status] += 1
        with transaction.atomic():
            for status, items in rows.items():
                # A message the provider confirms keeps its id (for later callbacks) and
                # counts as sent when it was handed over.
                extra = ["sent_at = claimed_at"] if status == MessageStatus.SENT else []
                _bulk_update(
                    items, _set_status_sql("error_code = %s", "provider_message_id = %s", *extra)
                )
        # receipts that arrived while the send was unrecorded apply now
        apply_pending_events(
            sweep.account.code,
            [row[4] for row in rows[MessageStatus.SENT] if row[4]],
        )
    return outcome


# --- reading ---------------------------------------------------------------------------


def counts(sweep: Sweep) -> dict[str, int]:
    """Messages of a sweep by status (``sending`` is reported with ``queued``); a queue sweep
    (``QUEUE_CHANNELS``) adds its queue's ``pending``, ``in_progress``, ``worked``, ``closed``."""
    if sweep.channel in QUEUE_CHANNELS:
        queue = import_string(QUEUE_CHANNELS[sweep.channel].counts)(sweep)
        return {**dict.fromkeys(COUNT_KEYS, 0), **queue}
    raw = dict(Message.objects.filter(sweep=sweep).values_list("status").annotate(n=Count("id")))
    out = dict.fromkeys(COUNT_KEYS, 0)
    for status, n in raw.items():
        key = MessageStatus.QUEUED if status == MessageStatus.SENDING else status
        out[key] = out.get(key, 0) + n
    return out
