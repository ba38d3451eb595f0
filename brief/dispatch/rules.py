"""The contact rules, stated once: the engine applies them when it writes an outbox and when it
sends, and the forecast (:mod:`.forecast`) reads them to predict a sweep before it exists.

Each rule is a predicate (a ``Q`` over named fields, or a lookup) plus the moment a held-back
message may go again. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max, Q

from brief.campaigns.vocabulary import ABROAD_CHANNELS
from brief.contacts.models import suppressed_q
from brief.core import calendar
from brief.core.sql import in_list

from .choices import ACTIVE_SWEEP_STATES, MessageStatus
from .models import DailyContact, Message, ProviderAccount

# SQLite's bound-parameter limit, with room to spare.
CHUNK = 900


def windows():
    """Contact windows in force (DESIGN §3 defaults)."""
    return calendar.DEFAULT_WINDOWS


def window_wait(now: dt.datetime, channel: str, *, ignore_windows: bool) -> dt.datetime | None:
    """When the channel's contact window opens again, or ``None`` when it is open at ``now``
    (or the sweep was granted the exception)."""
    if ignore_windows or windows().is_open(now, channel):
        return None
    return windows().next_open(now, channel)


def next_day_open(now: dt.datetime, channel: str) -> dt.datetime:
    """The first open window of the day after ``now`` (local): where a message capped for the
    day, or refused by the provider for the day, goes."""
    midnight = calendar.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return windows().next_open(midnight + dt.timedelta(days=1), channel)


def contact_day(now: dt.datetime) -> dt.date:
    """The local day the one-contact-per-day rule counts ``now`` in."""
    return calendar.local(now).date()


def outbox_exclusions(channel: str, *, address: str, person: str, abroad: str) -> list[tuple]:
    """``(reason code, Q)`` of the recipients never sent on ``channel``, in the order the
    engine marks them (a later rule overwrites an earlier one). The fields are named because
    the engine asks messages (``to``, ``person``, ``contact__abroad``) and the forecast asks
    contacts (aliases of their address and person key, ``abroad``)."""
    rules = [("suppressed", suppressed_q(channel, address=address, person=person))]
    if channel not in ABROAD_CHANNELS:
        rules.append(("abroad", Q(**{abroad: True})))
    return rules


def day_owners(persons: list[str], day: dt.date) -> dict[str, int | None]:
    """Who already took ``day`` among ``persons``: person → message id (``None``: a call).

    A long list (a forecast over a whole base) reads the day's rows once instead of asking
    for the persons a chunk at a time; the answer is the same."""
    if len(persons) > 10 * CHUNK:
        wanted = set(persons)
        return {
            person: message_id
            for person, message_id in DailyContact.objects.filter(day=day)
            .values_list("person", "message_id")
            .iterator()
            if person in wanted
        }
    owners: dict[str, int | None] = {}
    for start in range(0, len(persons), CHUNK):
        owners.update(
            DailyContact.objects.filter(day=day, person__in=in_list(persons[start : start + CHUNK]))
            .values_list("person", "message_id")
            .iterator()
        )
    return owners


def queued_elsewhere(persons: Iterable[str]) -> set[str]:
    """The ``persons`` with a message due in another active sweep that keeps the daily cap:
    whichever sweep reaches them first takes the day, the other defers."""
    wanted = set(persons)
    due = Message.objects.filter(
        status__in=[MessageStatus.QUEUED, MessageStatus.SENDING],
        sweep__state__in=list(ACTIVE_SWEEP_STATES),
        sweep__ignore_daily_cap=False,
    )
    return {p for p in due.values_list("person", flat=True).distinct().iterator() if p in wanted}


def pacing_gap(account: ProviderAccount | None) -> dt.timedelta | None:
    """The gap some providers demand between two messages to the same person through the
    account (``options["per_recipient_seconds"]``), or ``None``."""
    seconds = (account.options or {}).get("per_recipient_seconds") if account else None
    return dt.timedelta(seconds=float(seconds)) if seconds else None


def last_sends(
    contact_ids: Iterable[int], account: ProviderAccount, now: dt.datetime, gap: dt.timedelta
) -> dict[int, dt.datetime]:
    """Contact → its latest send through ``account`` less than ``gap`` before ``now``: those
    contacts wait until that send plus ``gap``."""
    ids = list(contact_ids)
    last: dict[int, dt.datetime] = {}
    for start in range(0, len(ids), CHUNK):
        recent = (
            Message.objects.filter(
                contact_id__in=ids[start : start + CHUNK],
                sweep__provider_account=account,
                sent_at__gt=now - gap,
            )
            .values_list("contact_id")
            .annotate(at=Max("sent_at"))
        )
        last.update(dict(recent))
    return last
