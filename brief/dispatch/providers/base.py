"""The adapter contract every channel provider implements.

``send(batch)`` hands a batch of rendered messages to the provider and returns one
:class:`SendResult` per message, in any order. It never retries by itself: a message it could
not hand over is a result with ``accepted=False`` and ``permanent`` saying whether trying again
could help; a failure of the whole batch raises :class:`ProviderError`. The dispatcher owns
retries, backoff, rate limits and bookkeeping. ``lookup(ids)`` lets the dispatcher reconcile
messages left in ``sending`` after a crash (``None`` when the provider cannot tell).
``verify_callback(request)`` says whether a callback really comes from the provider (its
signature, or the account's shared secret for providers that do not sign); an adapter that
takes callbacks must say how it authenticates them.
``parse_callback(request)`` turns an authenticated callback into :class:`StatusUpdate`s and
:class:`InboundMessage`s (replies, mobile-originated messages); receipts that arrive on a
provider connection instead of HTTP (SMPP ``deliver_sm``) produce the same objects and go through
the same path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string


class ProviderError(Exception):
    """The provider refused or failed a whole batch."""

    def __init__(self, message: str, *, permanent: bool = False, code: str = ""):
        super().__init__(message)
        self.permanent = permanent
        self.code = code


@dataclass
class OutgoingMessage:
    """A rendered message ready for the wire."""

    id: int
    to: str
    channel: str
    text: str = ""
    subject: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)  # WhatsApp template parameters
    template_name: str = ""
    language: str = ""
    sender: str = ""
    reply_to: str = ""


@dataclass
class SendResult:
    id: int
    accepted: bool
    provider_message_id: str = ""
    permanent: bool = False
    code: str = ""
    detail: str = ""


@dataclass
class StatusUpdate:
    """A status the provider reports for one of its message ids."""

    provider_message_id: str
    status: str  # one of MessageStatus
    at: Any = None
    code: str = ""
    detail: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class InboundMessage:
    """A message a person sent us (reply, MO SMS, WhatsApp text or button reply)."""

    provider_message_id: str
    sender: str  # phone number (E.164 digits) or e-mail address
    text: str
    channel: str
    at: Any = None
    recipient: str = ""  # our number, short code or address it was sent to
    in_reply_to: str = ""  # the provider id of our message it answers, when known
    raw: dict[str, Any] = field(default_factory=dict)


class BaseProvider:
    """Base class of adapters; subclasses implement :meth:`send` (see module docstring)."""

    #: Whether raw callback payloads are stored as StatusEvent rows.
    store_events = True

    def __init__(self, account):
        self.account = account
        self.options: dict[str, Any] = dict(account.options or {})

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        raise NotImplementedError

    def lookup(self, ids: list[int]) -> dict[int, str | None]:
        """Status of our message ids as the provider knows it; ``None`` = cannot tell."""
        return dict.fromkeys(ids)

    def provider_id_for(self, message_id: int) -> str:
        """The provider's id of one of our messages when it can be derived ("" otherwise)."""
        return ""

    def parse_callback(self, request) -> list[StatusUpdate | InboundMessage]:
        raise NotImplementedError

    def parse_payload(self, payload: dict) -> list[StatusUpdate]:
        """Status updates of an already decoded payload (adapters that report from a task)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (called when a runner finishes)."""


def get_provider(account) -> BaseProvider:
    """Instantiate the adapter configured for ``account``."""
    return import_string(account.backend)(account)
