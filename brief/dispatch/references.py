"""The provider ids a kept callback body may mention, read from the body itself: how the
data migration indexes bodies kept before ``CallbackReference`` existed (new bodies are indexed
at ingest from what the adapter parsed). Pure: candidate words only; the caller keeps those
that are provider ids it knows."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

# Words between JSON/XML/form/e-mail punctuation, and finer ones inside them (``id:…``,
# ``MessageSid=…``); ``<…>`` keeps an e-mail Message-ID whole, as the SMTP adapter's ids are.
_COARSE = re.compile(r"[^\s\"'<>(){}\[\],;\\]+")
_FINE = re.compile(r"[^\s\"'<>(){}\[\],;\\&=:/|?#]+")
_ANGLED = re.compile(r"<[^<>\s\"']+>")
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]+")


def candidate_ids(body: str, content_type: str = "") -> set[str]:
    """Every word of ``body`` that could be a provider message id (at most 120 characters);
    a hex body (a PDU, content type ``…;hex``) is read as the bytes it holds."""
    text = body
    if content_type.endswith(";hex"):
        try:
            text = _UNPRINTABLE.sub(" ", bytes.fromhex(body).decode("latin-1"))
        except ValueError:
            return set()
    texts = {text}
    if "%" in text or "+" in text:
        texts.add(unquote_plus(text))
    found: set[str] = set()
    for each in texts:
        for pattern in (_COARSE, _FINE, _ANGLED):
            found.update(pattern.findall(each))
    return {word for word in found if len(word) <= 120}
