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
"""

from __future__ import annotations

import base64
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
    return [_parse(k) for k in configured]


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
