"""E-mail coming back: bounces, delays and complaints, from the bounce mailbox or a webhook.

Reports (:mod:`.mailreports`) become :class:`StatusUpdate`s that go through
:func:`brief.dispatch.hooks.ingest` like every other receipt: a hard bounce (``5.x.x``) →
``bounced``; a complaint (ARF) → ``delivered`` (it was). What a status cannot say is written by
:func:`settle`, which the SMTP adapter's ``after_ingest`` calls in the same transaction: the
address suppressed for e-mail (hard bounce, complaint), the complaint named on the message, a
soft bounce (``Action: failed`` with ``4.x.x``) re-queued by
:func:`brief.dispatch.engine.retry_after_soft_bounce`, a delay (``Action: delayed``: the remote
server is still trying, so re-sending could deliver twice) noted on the message only.
:func:`poll` reads the account's IMAP folder (``aioimaplib``), ingests each unseen report and
flags it ``\\Seen``, so a rerun changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict

from django.utils.translation import gettext as _

from brief.contacts.actions import add_suppression
from brief.contacts.choices import SuppressionChannel, SuppressionSource
from brief.core.exceptions import Invalid

from . import mailreports
from .choices import MessageStatus
from .engine import retry_after_soft_bounce
from .models import Message, ProviderAccount
from .providers.base import StatusUpdate

log = logging.getLogger(__name__)

#: Status each report kind sets through ``ingest`` ("" = none: :func:`settle` handles it).
STATUS_FOR_KIND = {
    mailreports.HARD: MessageStatus.BOUNCED,
    mailreports.COMPLAINT: MessageStatus.DELIVERED,
    mailreports.SOFT: "",
    mailreports.DELAY: "",
}
#: Unseen mails read per poll (the rest wait for the next run).
POLL_LIMIT = 500


def report_items(provider, reports: list[mailreports.MailReport]) -> list[StatusUpdate]:
    """One update per (report, message named): the status (or ``""``) and the report in ``raw``."""
    return [
        StatusUpdate(
            provider_message_id=provider.provider_id_for(message_id),
            status=STATUS_FOR_KIND[report.kind],
            code=report.code,
            detail=report.diagnostic,
            raw={
                "report": report.kind,
                "message": message_id,
                "recipient": report.recipient,
                "status": report.status,
            },
        )
        for report in reports
        for message_id in report.message_ids
    ]


def settle(account: ProviderAccount, items: list) -> dict[str, int]:
    """Suppressions, complaint notes, soft-bounce retries and delay notes for ingested reports,
    limited to this account's messages."""
    by_kind: dict[str, dict[int, StatusUpdate]] = defaultdict(dict)
    for item in items:
        raw = getattr(item, "raw", None) or {}
        if raw.get("report") in STATUS_FOR_KIND and isinstance(raw.get("message"), int):
            by_kind[raw["report"]][raw["message"]] = item
    wanted = {mid for group in by_kind.values() for mid in group}
    if not wanted:
        return {}
    addresses = dict(
        Message.objects.filter(pk__in=wanted, sweep__provider_account=account).values_list(
            "pk", "to"
        )
    )
    done: dict[str, int] = defaultdict(int)
    complaint = _("Queja del destinatario ({status})")
    for kind, source, reason in (
        (mailreports.HARD, SuppressionSource.BOUNCE, _("Rebote permanente {status}")),
        (mailreports.COMPLAINT, SuppressionSource.COMPLAINT, complaint),
    ):
        for mid, item in by_kind[kind].items():
            if mid not in addresses:
                continue
            try:
                add_suppression(
                    actor=None,
                    channel=SuppressionChannel.EMAIL,
                    value=addresses[mid],
                    source=source,
                    reason=reason.format(status=item.raw.get("status", "")),
                    evidence={"message": mid, "account": account.code, "code": item.code},
                )
                done["suppressed"] += 1
            except Invalid as exc:  # an address we cannot normalize
                log.info("bounce for message %s not suppressed: %s", mid, exc)
    for kind, statuses in (
        (mailreports.COMPLAINT, None),
        (mailreports.DELAY, [MessageStatus.SENT]),
    ):
        for mid, item in by_kind[kind].items():
            if mid not in addresses:
                continue
            rows = Message.objects.filter(pk=mid)
            if statuses:
                rows = rows.filter(status__in=statuses)
            detail = item.detail or item.raw.get("status", "")
            if kind == mailreports.COMPLAINT:
                detail = complaint.format(status=item.raw.get("status", ""))
            done[kind] += rows.update(error_code=item.code[:60], error_detail=detail[:300])
    soft = [mid for mid in by_kind[mailreports.SOFT] if mid in addresses]
    for code, mids in _group_by_code(soft, by_kind[mailreports.SOFT]).items():
        first = by_kind[mailreports.SOFT][mids[0]]
        for key, value in retry_after_soft_bounce(mids, code=code, detail=first.detail).items():
            done[key] += value
    return dict(done)


def _group_by_code(mids: list[int], items: dict[int, StatusUpdate]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for mid in mids:
        groups[items[mid].code[:60]].append(mid)
    return groups


# --- the bounce mailbox over IMAP ------------------------------------------------------

_UID = re.compile(rb"UID (\d+)")


def _client(provider):
    import aioimaplib

    o = provider.options
    use_ssl = bool(o.get("imap_ssl", False))
    port = int(o.get("imap_port") or (993 if use_ssl else 143))
    cls = aioimaplib.IMAP4_SSL if use_ssl else aioimaplib.IMAP4
    return cls(host=o["imap_host"], port=port, timeout=float(o.get("timeout", 30)))


async def _fetch_unseen(provider) -> list[tuple[str, bytes]]:
    """``(uid, raw message)`` of up to :data:`POLL_LIMIT` unseen mails, read with ``PEEK`` (the
    ``\\Seen`` flag is set only after they are ingested)."""
    client = _client(provider)
    await client.wait_hello_from_server()
    answer = await client.login(provider.options["imap_user"], provider.secret("imap_password"))
    if answer.result != "OK":
        raise ConnectionError(f"IMAP login refused: {answer.lines[-1:]!r}")
    try:
        answer = await client.select(provider.options.get("imap_folder") or "INBOX")
        if answer.result != "OK":
            raise ConnectionError(f"IMAP folder refused: {answer.lines[-1:]!r}")
        answer = await client.uid_search("UNSEEN", charset=None)
        uids = [u for line in answer.lines[:1] for u in line.decode().split() if u.isdigit()]
        out = []
        for uid in uids[:POLL_LIMIT]:
            fetched = await client.uid("fetch", uid, "(BODY.PEEK[])")
            body = next((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), b"")
            if body:
                out.append((uid, body))
        return out
    finally:
        await client.logout()


async def _flag_seen(provider, uids: list[str]) -> None:
    client = _client(provider)
    await client.wait_hello_from_server()
    await client.login(provider.options["imap_user"], provider.secret("imap_password"))
    try:
        await client.select(provider.options.get("imap_folder") or "INBOX")
        for start in range(0, len(uids), 200):
            await client.uid("store", ",".join(uids[start : start + 200]), "+FLAGS (\\Seen)")
    finally:
        await client.logout()


def poll(account: ProviderAccount) -> dict[str, int]:
    """Read the account's bounce mailbox once: ingest every unseen DSN or ARF report, then
    flag what was read ``\\Seen`` (other mail too: the VERP mailbox only gets reports)."""
    from .hooks import ingest
    from .providers.base import get_provider

    provider = get_provider(account)
    if not provider.options.get("imap_host"):
        return {"read": 0}
    mails = asyncio.run(_fetch_unseen(provider))
    verp = tuple(d for d in (provider.options.get("verp_domain"),) if d)
    counts: dict[str, int] = defaultdict(int)
    for _uid, raw in mails:
        reports = mailreports.parse(raw, verp_domains=verp)
        if not reports:
            counts["ignored"] += 1
            continue
        items = report_items(provider, reports)
        result = ingest(account, items, raw=raw, content_type="message/rfc822", provider=provider)
        counts["reports"] += len(reports)
        for key in ("applied", "pending"):
            counts[key] += result.get(key, 0)
    if mails:
        asyncio.run(_flag_seen(provider, [uid for uid, _raw in mails]))
    counts["read"] = len(mails)
    return dict(counts)
