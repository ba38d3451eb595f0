"""Tracked links and unsubscribe links: signed tokens, no database row per recipient.

A tracked link is ``SITE_URL/l/<token>``; the token packs the link id and the message id
(varints) with a 64-bit HMAC-SHA256 under a key derived from ``SECRET_KEY`` — short (about
20 characters) and unguessable. The unsubscribe link carries the message id signed with
:mod:`django.core.signing` (never the address: signing does not hide it). A creative a voice
provider plays is fetched from ``SITE_URL/pieza/<token>/``: signed, expiring after
``CREATIVE_URL_SECONDS``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from typing import cast

from django.conf import settings
from django.core import signing
from django.db.models import Count

from .models import LinkOpen

_MAC_BYTES = 8
_UNSUBSCRIBE_SALT = "brief.content.unsubscribe"
_CREATIVE_SALT = "brief.content.creative"


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"brief.content.links:" + secret.encode("utf-8")).digest()


def signing_key() -> bytes:
    return _key(settings.SECRET_KEY)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


class TokenMaker:
    """Makes link tokens fast (one HMAC per link and recipient, key prepared once)."""

    def __init__(self, key: bytes | None = None):
        self._mac = hmac.new(key or signing_key(), digestmod=hashlib.sha256)

    def make(self, link_id: int, message_id: int) -> str:
        payload = _varint(link_id) + _varint(message_id)
        mac = self._mac.copy()
        mac.update(payload)
        raw = payload + mac.digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_token(link_id: int, message_id: int) -> str:
    return TokenMaker().make(link_id, message_id)


def parse_token(token: str) -> tuple[int, int] | None:
    """``(link id, message id)`` of a genuine token, ``None`` for anything else."""
    if not token or len(token) > 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        link_id, pos = _read_varint(raw, 0)
        message_id, pos = _read_varint(raw, pos)
    except (ValueError, binascii.Error):
        return None
    payload, mac = raw[:pos], raw[pos:]
    if len(mac) != _MAC_BYTES:
        return None
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    for secret in secrets:
        expected = hmac.new(_key(secret), payload, hashlib.sha256).digest()[:_MAC_BYTES]
        if hmac.compare_digest(expected, mac):
            return link_id, message_id
    return None


def tracked_url(link_id: int, message_id: int) -> str:
    return f"{settings.SITE_URL}/l/{make_token(link_id, message_id)}"


# --- unsubscribe ------------------------------------------------------------------------


def unsubscribe_token(message_id: int) -> str:
    """A signed token that names the message only: the address is never in the URL
    (:mod:`django.core.signing` signs, it does not encrypt)."""
    return signing.dumps({"m": message_id}, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_url(message_id: int) -> str:
    """The recipient's one-click unsubscribe page (for ``List-Unsubscribe`` and the body)."""
    return f"{settings.SITE_URL}/baja/{unsubscribe_token(message_id)}/"


def read_unsubscribe_token(token: str) -> int | None:
    """The message id of a genuine unsubscribe token, ``None`` otherwise (dispatch looks up
    the address the message went to)."""
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    message_id = data.get("m") if isinstance(data, dict) else None
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        return None
    return message_id


# --- creatives fetched by providers ------------------------------------------------------


def creative_url(creative_id: int) -> str:
    """A public URL of a creative (the audio a voice call plays), signed and expiring."""
    from django.urls import reverse

    token = signing.dumps({"c": creative_id}, salt=_CREATIVE_SALT)
    return f"{settings.SITE_URL}{reverse('content:creative_public', args=[token])}"


def parse_creative_token(token: str) -> int | None:
    """The creative id of a genuine, unexpired token; ``None`` otherwise."""
    try:
        data = signing.loads(token, salt=_CREATIVE_SALT, max_age=settings.CREATIVE_URL_SECONDS)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    creative_id = data.get("c") if isinstance(data, dict) else None
    if not isinstance(creative_id, int) or isinstance(creative_id, bool):
        return None
    return creative_id


# --- open pixel -----------------------------------------------------------------------

_OPEN_SALT = "brief.content.open"
#: A transparent 1×1 GIF (43 bytes).
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def open_pixel_url(message_id: int) -> str:
    """The recipient's signed 1×1 image (``SITE_URL/o/<token>/``): it names the message only,
    signed with :mod:`django.core.signing`, so no id can be guessed or altered."""
    return f"{settings.SITE_URL}/o/{signing.dumps(message_id, salt=_OPEN_SALT)}/"


def read_open_token(token: str) -> int | None:
    """The message id of a genuine pixel token, ``None`` otherwise."""
    try:
        message_id = signing.loads(token, salt=_OPEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        return None
    return message_id


def with_open_pixel(html: str, message_id: int) -> str:
    """``html`` with the message's open pixel just before ``</body>`` (or at the end)."""
    tag = (
        f'<img src="{open_pixel_url(message_id)}" width="1" height="1" alt="" '
        f'style="border:0;width:1px;height:1px">'
    )
    cut = html.lower().rfind("</body>")
    return html[:cut] + tag + html[cut:] if cut >= 0 else html + tag


# --- counts for reports -----------------------------------------------------------------


def opens_by_message(message_ids: Iterable[int]) -> dict[int, int]:
    """Link openings per message (recipient); messages without openings are left out."""
    ids = list(message_ids)
    out: dict[int, int] = {}
    for start in range(0, len(ids), 5000):  # keep SQL parameter lists small
        chunk = ids[start : start + 5000]
        rows = (
            LinkOpen.objects.filter(message_id__in=chunk)
            .values("message_id")
            .annotate(n=Count("id"))
            .values_list("message_id", "n")
        )
        # message_id__in leaves out the openings without a message id.
        out.update(dict(cast("Iterable[tuple[int, int]]", rows)))
    return out


def opens_count(brief) -> int:
    """All openings of the brief's tracked links."""
    return LinkOpen.objects.filter(link__brief=brief).count()


def recipients_who_opened(brief, messages=None) -> int:
    """Distinct messages (recipients) with at least one opening; ``messages`` (a queryset of
    dispatch messages) restricts them to those messages."""
    opens = LinkOpen.objects.filter(link__brief=brief, message_id__isnull=False)
    if messages is not None:
        opens = opens.filter(message_id__in=messages.values("id"))
    return opens.values("message_id").distinct().count()
