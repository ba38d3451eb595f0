"""Inbound messages (replies, mobile-originated SMS, WhatsApp texts): stored once, matched to
the message they answer, and opt-out replies turned into suppressions.

A reply is matched by ``in_reply_to`` (the provider id of our message) when the provider gives
it, else to the latest message we sent the sender on that channel. A reply that is only an
opt-out word (:data:`OPT_OUT_WORDS`, any case, accents and surrounding punctuation ignored)
suppresses that channel for the person's document (or the sender's address when we do not know
the person), through :func:`brief.contacts.actions.add_suppression`, with the inbound message
named in the audit event.

Once stored, the inbound messages of a channel named in :data:`AFTER_INBOUND` are handed (by
their ids, on commit) to the step of a higher layer that table names by dotted path: WhatsApp
texts open or extend the contact center's conversations (dispatch never imports ``calls``).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from brief.contacts.actions import add_suppression
from brief.contacts.choices import SuppressionChannel, SuppressionSource
from brief.core.exceptions import Invalid

from .engine import _parse_time
from .models import InboundMessage as InboundRow
from .models import Message, ProviderAccount
from .providers.base import InboundMessage

log = logging.getLogger(__name__)

OPT_OUT_WORDS = frozenset({"STOP", "BAJA", "NO MAS", "CANCELAR"})

#: Channel → the step (dotted path) that takes the ids of that channel's new inbound messages,
#: run on commit after they are stored: the upward step of the layers, stated once.
AFTER_INBOUND: dict[str, str] = {"whatsapp": "brief.calls.actions.open_conversations"}


def normalize_reply(text: str) -> str:
    """Upper case, accents dropped, punctuation to spaces, spaces collapsed and trimmed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", plain.upper()).split())


def is_opt_out(text: str) -> bool:
    """Whether a reply is only an opt-out word ("STOP", " ¡Baja! ", "no más.")."""
    return normalize_reply(text) in OPT_OUT_WORDS


def address_variants(sender: str) -> list[str]:
    """The forms an address may have in our outbox (phones in E.164 with ``+``)."""
    raw = (sender or "").strip()
    if "@" in raw:
        return [raw.lower(), raw]
    digits = re.sub(r"\D", "", raw)
    variants = {raw, digits, f"+{digits}"}
    if len(digits) == 10 and digits.startswith("3"):  # a Colombian mobile without the country
        variants.add(f"+57{digits}")
    return sorted(v for v in variants if v and v != "+")


def match_message(account: ProviderAccount, item: InboundMessage) -> Message | None:
    """The message of ours a reply answers: by reference, else the sender's latest one."""
    messages = Message.objects.select_related("sweep")
    if item.in_reply_to:
        found = messages.filter(
            provider_message_id=item.in_reply_to, sweep__provider_account=account
        ).first()
        if found is not None:
            return found
    latest = messages.filter(
        to__in=address_variants(item.sender), sweep__channel=item.channel, sent_at__isnull=False
    ).order_by("-sent_at", "-id")
    return latest.filter(sweep__provider_account=account).first() or latest.first()


def record_inbound(account: ProviderAccount, items: list[InboundMessage]) -> int:
    """Store inbound messages once per (account, provider id); returns how many are new."""
    created_count = 0
    new_by_channel: dict[str, list[int]] = {}
    for item in items:
        if not item.provider_message_id:
            continue
        with transaction.atomic():
            message = match_message(account, item)
            row, created = InboundRow.objects.get_or_create(
                account=account,
                provider_message_id=item.provider_message_id[:120],
                defaults={
                    "channel": item.channel[:20],
                    "sender": item.sender[:254],
                    "recipient": item.recipient[:254],
                    "text": item.text,
                    "at": _at(item.at),
                    "message": message,
                    "contact_id": message.contact_id if message else None,
                    "brief_id": message.sweep.brief_id if message else None,
                    "opt_out": is_opt_out(item.text),
                    "raw": item.raw or {},
                },
            )
            if created:
                created_count += 1
                if row.opt_out:
                    _suppress(row, message)
                if row.channel in AFTER_INBOUND:
                    new_by_channel.setdefault(row.channel, []).append(row.pk)
    for channel, ids in new_by_channel.items():
        transaction.on_commit(functools.partial(import_string(AFTER_INBOUND[channel]), ids))
    return created_count


def for_brief(brief):
    """The replies matched to a brief, newest first, with their contacts."""
    # the raw item (encrypted, never shown) is not read
    rows = InboundRow.objects.filter(brief=brief).defer("raw").select_related("contact")
    return rows.order_by("-at", "-id")


def inbound_json(row: InboundRow) -> dict:
    return {
        "id": row.pk,
        "at": row.at.isoformat(),
        "channel": row.channel,
        "sender": row.sender,
        "text": row.text,
        "contact": row.contact.full_name if row.contact else None,
        "message": row.message_id,
        "opt_out": row.opt_out,
    }


def _at(value):
    return _parse_time(value) or timezone.now()


def _suppress(row: InboundRow, message: Message | None) -> None:
    """The opt-out a reply carried: this channel, the person's document (or the address)."""
    channel = row.channel if row.channel in SuppressionChannel.values else SuppressionChannel.ALL
    value = message.person if message is not None else row.sender
    try:
        add_suppression(
            actor=None,
            channel=channel,
            value=value,
            source=SuppressionSource.STOP,
            reason=f"Respuesta «{row.text.strip()[:60]}»",
            evidence={"inbound_message": row.pk, "account": row.account.code},
        )
    except Invalid as exc:  # a sender we cannot normalize (a short code, an alias)
        log.info("opt-out from %s not suppressed: %s", row.sender, exc)
