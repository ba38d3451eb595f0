"""Encryption at rest of stored files and raw provider payloads (Ley 1581: bases, recordings,
callbacks hold personal data).

Keys come from the environment: ``BRIEF_ENCRYPTION_KEYS``, a comma-separated list of 32-byte
keys in URL-safe base64 (``brief encryption_key`` prints a new one). The first key encrypts;
every key decrypts, so a key is rotated by putting the new one first, running
``brief rotate_encryption`` (re-encrypts every file and payload with the first key) and then
dropping the old one. Without keys nothing is encrypted (the demo, a laptop); production's
``check --deploy`` warns (``brief.W010``).

Files use a chunked AES-256-GCM format (the STREAM construction): a header ``BRFENC1`` + the key
id (8 bytes of the key's SHA-256) + an 8-byte random prefix, then chunks of up to 64 KiB, each
sealed with the nonce ``prefix ‖ counter`` and the associated data ``last``/``more`` — so chunks
cannot be reordered, dropped or the file cut short without the tag failing. Files written before
a key was set are read as they are (no header) and encrypted by ``rotate_encryption``.

Database values (raw provider bodies: ``brief.core.fields``) are sealed whole, one AES-256-GCM
message each, as text: ``brfenc1:`` + URL-safe base64 of key id ‖ 12-byte random nonce ‖
ciphertext ‖ tag, with the column's name (``app.Model.field``) as associated data, so a value
moved to another column or row kind is refused too. A value without the prefix was stored
before a key was set and is read as it is.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from .exceptions import Conflict

MAGIC = b"BRFENC1"
CHUNK = 64 * 1024
TAG = 16


class DecryptionError(Conflict):
    """The data was altered, cut short, or its key is not configured (409 with the reason)."""

    code = "file_altered"

    def __init__(self, detail: str):
        super().__init__(
            gettext(
                "El archivo guardado fue alterado o no se puede descifrar con las claves "
                "configuradas; no se entrega. Avise a soporte."
            )
        )
        self.detail = detail


@dataclass(frozen=True)
class Key:
    id: bytes
    aead: AESGCM


def _parse(text: str) -> Key:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError as exc:
        raise ImproperlyConfigured("BRIEF_ENCRYPTION_KEYS: a key is not valid base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured("BRIEF_ENCRYPTION_KEYS: each key must be 32 bytes")
    return Key(hashlib.sha256(raw).digest()[:8], AESGCM(raw))


def keys() -> list[Key]:
    """The configured keys, the encrypting one first (empty: encryption off)."""
    configured = getattr(settings, "BRIEF_ENCRYPTION_KEYS", "") or ""
    if isinstance(configured, str):
        configured = [k for k in configured.split(",") if k.strip()]
    return list(_parsed(tuple(configured)))


@functools.lru_cache(maxsize=8)
def _parsed(configured: tuple[str, ...]) -> tuple[Key, ...]:
    # every callback seals its body: parse the keys once per setting, not per value
    return tuple(_parse(k) for k in configured)


def enabled() -> bool:
    return bool(keys())


def new_key() -> str:
    """A fresh key, as ``BRIEF_ENCRYPTION_KEYS`` takes it."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def _key(key_id: bytes) -> Key:
    for key in keys():
        if key.id == key_id:
            return key
    raise DecryptionError("the key that encrypted this data is not configured")


TEXT_MAGIC = "brfenc1:"


class AlteredValue(DecryptionError):
    """A value in the database was altered or its key is not configured (409)."""

    code = "payload_altered"

    def __init__(self, detail: str):
        Conflict.__init__(
            self,
            gettext(
                "Un dato guardado (el cuerpo de un aviso del proveedor) fue alterado o no se "
                "puede descifrar con las claves configuradas; no se entrega. Avise a soporte."
            ),
        )
        self.detail = detail


def seal_text(text: str, context: bytes, key: Key | None = None) -> str:
    """``text`` encrypted for a database column named ``context`` (as it is without keys)."""
    if key is None:
        configured = keys()
        if not configured:
            return text
        key = configured[0]
    nonce = os.urandom(12)
    sealed = key.aead.encrypt(nonce, text.encode(), context)
    return TEXT_MAGIC + base64.urlsafe_b64encode(key.id + nonce + sealed).decode()


def text_key_id(stored: str) -> bytes | None:
    """The id of the key that sealed a stored value (``None``: stored plain)."""
    if not stored.startswith(TEXT_MAGIC):
        return None
    try:
        return base64.urlsafe_b64decode(stored[len(TEXT_MAGIC) : len(TEXT_MAGIC) + 12])[:8]
    except ValueError:
        return b""


def open_text(stored: str, context: bytes) -> str:
    """The plaintext of a value :func:`seal_text` wrote (a plain value is returned as it is)."""
    if not stored.startswith(TEXT_MAGIC):
        return stored
    try:
        blob = base64.urlsafe_b64decode(stored[len(TEXT_MAGIC) :])
    except ValueError as exc:
        raise AlteredValue("encrypted value is not base64") from exc
    key = next((k for k in keys() if k.id == blob[:8]), None)
    if key is None:
        raise AlteredValue("the key that encrypted this value is not configured")
    try:
        return key.aead.decrypt(blob[8:20], blob[20:], context).decode()
    except (InvalidTag, ValueError) as exc:
        raise AlteredValue("encrypted value altered") from exc


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + struct.pack(">I", counter)


def encrypt_stream(chunks: Iterator[bytes], key: Key | None = None) -> Iterator[bytes]:
    """Encrypt a byte stream (any chunking) into the file format, chunk by chunk."""
    key = key or keys()[0]
    prefix = os.urandom(8)
    yield MAGIC + key.id + prefix
    counter = 0
    pending = bytearray()
    for piece in chunks:
        pending += piece
        while len(pending) > CHUNK:  # keep one chunk back: the last one is sealed as last
            block = bytes(pending[:CHUNK])
            del pending[:CHUNK]
            yield key.aead.encrypt(_nonce(prefix, counter), block, b"more")
            counter += 1
    yield key.aead.encrypt(_nonce(prefix, counter), bytes(pending), b"last")


def plain_size(stored: int) -> int:
    """The plaintext size of an encrypted file of ``stored`` bytes."""
    body = stored - len(MAGIC) - 16
    chunks = max(1, -(-body // (CHUNK + TAG)))
    return body - chunks * TAG


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def decrypt_stream(handle: BinaryIO) -> Iterator[bytes]:
    """The plaintext of an encrypted file (read from its start), chunk by chunk; a file
    without the header is passed through as it is (stored before encryption was on)."""
    header = handle.read(len(MAGIC) + 16)
    if not is_encrypted(header):
        if header:
            yield header
        yield from iter(lambda: handle.read(CHUNK), b"")
        return
    key = _key(header[len(MAGIC) : len(MAGIC) + 8])
    prefix = header[len(MAGIC) + 8 :]
    counter = 0
    block = handle.read(CHUNK + TAG)
    while True:
        following = handle.read(CHUNK + TAG)
        last = not following
        try:
            yield key.aead.decrypt(_nonce(prefix, counter), block, b"last" if last else b"more")
        except InvalidTag as exc:
            raise DecryptionError("encrypted file altered or cut short") from exc
        if last:
            return
        block, counter = following, counter + 1
