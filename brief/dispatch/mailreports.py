"""Mail reports read from a bounce mailbox or an inbound webhook: DSNs and ARF complaints.

Pure and Django-free (standard library :mod:`email` only). A delivery status notification
(RFC 3464, ``multipart/report; report-type=delivery-status``) says per recipient an ``Action``
(``failed``, ``delayed``, ``delivered``…) and a ``Status`` (``5.x.x`` permanent, ``4.x.x``
transient); a feedback report (RFC 5965 ARF, ``report-type=feedback-report``) is a person
marking our message as spam. Our message is found by the ``Message-ID`` we set
(``<brief-<id>@<domain>>``) in the returned headers (``text/rfc822-headers`` or
``message/rfc822`` part), ``X-Original-Message-ID``, ``Original-Envelope-Id`` (the ``ENVID``
we give the server, xtext-decoded), the report's ``In-Reply-To``/``References``, or by the VERP
return path ``bounces+<id>@<verp domain>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

HARD, SOFT, DELAY, COMPLAINT = "hard", "soft", "delay", "complaint"

_OUR_ID = re.compile(r"<?(brief-(\d{1,18})@[^>\s]+)>?")
_VERP = re.compile(r"bounces\+(\d{1,18})@", re.IGNORECASE)
_XTEXT = re.compile(r"\+([0-9A-Fa-f]{2})")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass
class MailReport:
    """What one report says about one of our messages."""

    kind: str  # HARD, SOFT, DELAY or COMPLAINT
    message_ids: list[int] = field(default_factory=list)  # our Message ids
    recipient: str = ""
    status: str = ""  # "5.1.1"; the feedback type for complaints ("abuse")
    diagnostic: str = ""

    @property
    def code(self) -> str:
        prefix = "arf" if self.kind == COMPLAINT else "dsn"
        return f"{prefix}_{self.status}" if self.status else prefix


def is_report(raw: bytes) -> bool:
    """Whether ``raw`` is a DSN or an ARF report (cheap header check, no full parse)."""
    message = message_from_bytes(raw[:16384], policy=compat32)
    return _report_type(message) in {"delivery-status", "feedback-report"}


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type", "")).lower()


def _unfold(value: str) -> str:
    return " ".join(value.split())


def _address(value: str) -> str:
    """``rfc822; a@b.co`` → ``a@b.co``."""
    value = value.split(";", 1)[-1] if ";" in value else value
    return value.strip().strip("<>").strip().lower()


def _our_ids(*texts: str, verp_domains: tuple[str, ...] = ()) -> list[int]:
    found: list[int] = []
    for text in texts:
        for match in _OUR_ID.finditer(text or ""):
            found.append(int(match.group(2)))
        for match in _VERP.finditer(text or ""):
            domain = (text[match.end() :].split(">", 1)[0].split()[0:1] or [""])[0].lower()
            if not verp_domains or domain.rstrip(">;,") in verp_domains:
                found.append(int(match.group(1)))
    return list(dict.fromkeys(found))


def _header_blocks(part: Message) -> list[Message]:
    """The header blocks of a ``message/delivery-status`` part (per-message, per-recipient)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [message_from_bytes(b.encode("utf-8", "replace"), policy=compat32) for b in blocks]


def _returned_headers(message: Message) -> str:
    """The returned original's headers as text (``text/rfc822-headers`` or ``message/rfc822``)."""
    out = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            raw = part.get_payload(decode=True) or b""
            out.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                out.extend(f"{k}: {v}" for k, v in inner[0].items())
    return "\n".join(out)


def _envelope_headers(message: Message) -> str:
    names = ("To", "Delivered-To", "In-Reply-To", "References", "X-Failed-Recipients")
    return "\n".join(f"{n}: {v}" for n in names for v in message.get_all(n, []))


def parse(raw: bytes, *, verp_domains: tuple[str, ...] = ()) -> list[MailReport]:
    """The reports in one e-mail (one per failed/delayed recipient); empty when it is not a
    DSN or ARF report or names none of our messages. ``ValueError`` never: mail is messy."""
    message = message_from_bytes(raw, policy=compat32)
    report_type = _report_type(message)
    if report_type == "feedback-report":
        return _parse_arf(message, verp_domains)
    if report_type == "delivery-status":
        return _parse_dsn(message, verp_domains)
    return []


def _parse_dsn(message: Message, verp_domains: tuple[str, ...]) -> list[MailReport]:
    status_part = next(
        (p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return []
    blocks = _header_blocks(status_part)
    if not blocks:
        return []
    per_message, recipients = blocks[0], blocks[1:]
    ids = _our_ids(
        _returned_headers(message),
        str(per_message.get("X-Original-Message-ID", "")),
        _XTEXT.sub(
            lambda m: chr(int(m.group(1), 16)), str(per_message.get("Original-Envelope-Id", ""))
        ),
        str(per_message.get("X-Postfix-Sender", "")),
        _envelope_headers(message),
        verp_domains=verp_domains,
    )
    reports = []
    for block in recipients:
        action = str(block.get("Action", "")).strip().lower()
        status = _STATUS.search(str(block.get("Status", "")))
        code = ".".join(status.groups()) if status else ""
        if action == "delayed":
            kind = DELAY
        elif action == "failed":
            kind = SOFT if code.startswith("4") else HARD
        else:
            continue  # delivered, relayed, expanded: nothing to undo
        reports.append(
            MailReport(
                kind=kind,
                message_ids=list(ids),
                recipient=_address(
                    str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                ),
                status=code,
                diagnostic=_unfold(str(block.get("Diagnostic-Code", "")))[:300],
            )
        )
    return reports


def _parse_arf(message: Message, verp_domains: tuple[str, ...]) -> list[MailReport]:
    feedback = next(
        (p for p in message.walk() if p.get_content_type() == "message/feedback-report"), None
    )
    if feedback is None:
        return []
    blocks = _header_blocks(feedback)
    fields = blocks[0] if blocks else Message()
    ids = _our_ids(
        _returned_headers(message),
        str(fields.get("Original-Mail-From", "")),
        _envelope_headers(message),
        verp_domains=verp_domains,
    )
    feedback_type = str(fields.get("Feedback-Type", "abuse")).strip().lower() or "abuse"
    return [
        MailReport(
            kind=COMPLAINT,
            message_ids=ids,
            recipient=_address(str(fields.get("Original-Rcpt-To", ""))),
            status=feedback_type,
            diagnostic=_unfold(str(fields.get("User-Agent", "")))[:300],
        )
    ]
