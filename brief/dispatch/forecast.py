"""What a sweep will do before it is created, and why its messages are held back after.

:func:`forecast` counts, for a sweep as the form describes it, the recipients sent at once,
those deferred (until when, by which rule) and those excluded (and why), with the engine's own
rule code (:mod:`.rules`, :func:`.engine.recipients_queryset`). It reads and never writes. It
knows what the database knows now: another sweep that reaches the same people first on the
same day, or an opt-out that arrives later, changes what the engine then does.

:func:`held_back` reads the same reasons from a sweep's messages once it exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Min, Q

from brief.contacts.actions import segment_queryset
from brief.contacts.models import (
    Contact,
    ContactBase,
    Segment,
    channel_address_expression,
    person_key_expression,
)

from . import engine, rules
from .choices import REASONS, Include, MessageStatus, reason_label
from .models import Message, ProviderAccount, Sweep

# A start this close to the present is "now" (the form's default is the minute it was opened).
NOW_SLACK = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Line:
    """One reason: how many recipients, and for a deferral the first and last new moment."""

    code: str
    count: int
    until: dt.datetime | None = None
    until_last: dt.datetime | None = None

    @property
    def label(self) -> str:
        return reason_label(self.code)


@dataclass
class Forecast:
    """A sweep's predicted outcome: ``send`` recipients go at ``send_at`` (``scheduled``: the
    chosen start, in the future and inside the window); the others are in ``deferred`` (the
    closed window first) or ``excluded``."""

    start: dt.datetime
    send_at: dt.datetime
    scheduled: bool
    in_segment: int = 0
    recipients: int = 0
    send: int = 0
    deferred: list[Line] = field(default_factory=list)
    excluded: list[Line] = field(default_factory=list)
    #: of ``send``, those already queued today in another running sweep: one of the two defers
    contested: int = 0

    @property
    def sent_now(self) -> int:
        """Recipients sent at ``send_at`` without waiting for any rule."""
        return 0 if self.line("window") else self.send

    @property
    def deferred_total(self) -> int:
        return sum(line.count for line in self.deferred)

    @property
    def excluded_total(self) -> int:
        return sum(line.count for line in self.excluded)

    def line(self, code: str) -> Line | None:
        return next((x for x in [*self.deferred, *self.excluded] if x.code == code), None)

    def counts(self) -> dict[str, int]:
        """Recipients per reason code (and ``send``): what the tests compare with the engine."""
        return {"send": self.send, **{x.code: x.count for x in [*self.deferred, *self.excluded]}}


def forecast(
    brief,
    *,
    channel: str,
    base: ContactBase,
    segment: Segment | None = None,
    include: str = Include.ALL,
    start: dt.datetime | None = None,
    ignore_windows: bool = False,
    ignore_daily_cap: bool = False,
    account: ProviderAccount | None = None,
) -> Forecast:
    """Predict the sweep these arguments describe (what :func:`.actions.create_sweep` would
    create), applying the contact rules in the engine's order: the recipients (segment,
    channel eligibility, include rule), the outbox exclusions, the window at the start, one
    contact per person per day, the provider's per-recipient pacing."""
    now = engine.clock()
    start = max(start or now, now)
    number = Sweep.objects.filter(brief=brief).count() + 1
    sweep = Sweep(
        brief=brief, base=base, segment=segment, channel=channel, include=include, number=number
    )
    opens = rules.window_wait(start, channel, ignore_windows=ignore_windows)
    send_at = opens or start
    result = Forecast(
        start=start, send_at=send_at, scheduled=opens is None and start - now >= NOW_SLACK
    )

    in_segment = (
        segment_queryset(base, segment.filters)
        if segment is not None
        else Contact.objects.filter(base=base)
    )
    result.in_segment = in_segment.count()
    eligible = in_segment.filter(**{f"can_{channel}": True}).count()
    recipients = engine.recipients_queryset(sweep)
    excluded: dict[str, int] = {
        "not_eligible": result.in_segment - eligible,
        "already_reached": 0,
    }
    exclusions = rules.outbox_exclusions(
        channel, address="_address", person="_person", abroad="abroad"
    )
    flags = {
        f"_is_{code}": ExpressionWrapper(q, output_field=BooleanField()) for code, q in exclusions
    }
    rows = list(
        recipients.alias(
            _address=channel_address_expression(channel), _person=person_key_expression()
        )
        .annotate(**flags, person_key=person_key_expression())
        .order_by("row")
        .values_list("id", "person_key", *flags)
    )
    result.recipients = len(rows)
    excluded["already_reached"] = eligible - len(rows)
    sendable: list[tuple[int, str]] = []
    for contact_id, person, *hits in rows:
        # a later rule overwrites an earlier one, as in the outbox
        hit_codes = [c for (c, _q), hit in zip(exclusions, hits, strict=True) if hit]
        code = hit_codes[-1] if hit_codes else None
        if code:
            excluded[code] = excluded.get(code, 0) + 1
        else:
            sendable.append((contact_id, person))

    deferred: list[Line] = []
    if not ignore_daily_cap:
        sendable, capped = _daily_cap(sendable, send_at)
        if capped:
            tomorrow = rules.next_day_open(send_at, channel)
            deferred.append(Line("daily_cap", capped, tomorrow, tomorrow))
    gap = rules.pacing_gap(account)
    if gap and account is not None and sendable:
        last = rules.last_sends([c for c, _p in sendable], account, send_at, gap)
        if last:
            waits = [last[c] + gap for c, _p in sendable if c in last]
            deferred.append(Line("pacing", len(waits), min(waits), max(waits)))
            sendable = [(c, p) for c, p in sendable if c not in last]
    result.send = len(sendable)
    same_day = rules.contact_day(send_at) == rules.contact_day(now)
    if not ignore_daily_cap and same_day and sendable:
        result.contested = len(rules.queued_elsewhere(p for _c, p in sendable))
    if opens and sendable:
        deferred.insert(0, Line("window", len(sendable), opens, opens))
    result.deferred = deferred
    result.excluded = [Line(code, n) for code, n in excluded.items() if n]
    return result


def _daily_cap(sendable: list[tuple[int, str]], moment: dt.datetime) -> tuple[list, int]:
    """The recipients the one-contact-per-day rule lets through at ``moment``, and how many it
    holds: people whose day is already taken, and a person's second message in the sweep."""
    owners = rules.day_owners(sorted({p for _c, p in sendable}), rules.contact_day(moment))
    seen: set[str] = set()
    kept = []
    for contact_id, person in sendable:
        if person not in owners and person not in seen:
            kept.append((contact_id, person))
        seen.add(person)
    return kept, len(sendable) - len(kept)


# --- after creation ----------------------------------------------------------------------

HELD_STATUSES = (MessageStatus.DEFERRED, MessageStatus.SUPPRESSED)


def held_back(sweep: Sweep) -> list[dict]:
    """A sweep's deferred and excluded messages by reason: status, code, Spanish reason,
    count and (deferred) the first and last new moment, deferred first."""
    # Every status named in one ``IN``, so SQLite reads the (sweep, status) index ranges
    # instead of every message of the sweep to test the ``OR``.
    rows = (
        Message.objects.filter(sweep=sweep, status__in=[*HELD_STATUSES, MessageStatus.FAILED])
        .filter(
            Q(status__in=HELD_STATUSES) | Q(status=MessageStatus.FAILED, error_code="missing_data")
        )
        .values("status", "error_code")
        .annotate(
            n=Count("id"),
            first=Min("not_before"),
            last=Max("not_before"),
            detail=Max("error_detail"),
        )
        .order_by("status", "-n", "error_code")
    )
    out = []
    for row in rows:
        code = row["error_code"]
        label = reason_label(code) if code in REASONS else (row["detail"] or code)
        out.append(
            {
                "status": row["status"],
                "code": code,
                "label": label,
                "n": row["n"],
                "until": row["first"] if row["status"] == MessageStatus.DEFERRED else None,
                "until_last": row["last"] if row["status"] == MessageStatus.DEFERRED else None,
            }
        )
    out.sort(key=lambda r: r["status"] != MessageStatus.DEFERRED)
    return out
