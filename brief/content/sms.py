"""SMS encoding rules (3GPP TS 23.038): GSM-7 or UCS-2, characters, segments, transliteration.

One implementation serves the API (``POST /api/v1/content/preview/``), the editor's live
counter (htmx calls the same endpoint) and the cost estimate.
"""

from __future__ import annotations

import unicodedata

# GSM 03.38 basic character set (the escape 0x1B is left out: it only introduces extensions).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (escape + character).
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM_ALL = GSM_BASIC | GSM_EXTENSION

SINGLE = {"GSM-7": 160, "UCS-2": 70}
MULTI = {"GSM-7": 153, "UCS-2": 67}

# Replacements for characters NFKD cannot reduce to GSM-7 (typography, symbols).
_TRANSLIT = {
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "‘": "'", "’": "'", "‚": "'", "´": "'", "`": "'",
    "–": "-", "—": "-", "‐": "-", "−": "-", "•": "-", "·": ".",
    "…": "...", "\u00a0": " ", "\t": " ", "º": "o", "ª": "a", "°": "o",
    "ç": "Ç", "©": "(c)", "®": "(R)", "™": "TM", "×": "x", "÷": "/",
}  # fmt: skip


def _is_gsm(ch: str) -> bool:
    return ch in GSM_ALL


def _units(ch: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return 2 if ch in GSM_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # UTF-16 surrogate pair


def _segments(text: str, encoding: str, total: int) -> int:
    if total == 0:
        return 0
    if total <= SINGLE[encoding]:
        return 1
    return len(split(text, encoding))


def encoding_of(text: str) -> str:
    """``"GSM-7"`` when every character is in the GSM 03.38 tables, else ``"UCS-2"``."""
    return "GSM-7" if GSM_ALL.issuperset(text) else "UCS-2"


def split(text: str, encoding: str | None = None) -> list[str]:
    """``text`` cut into the parts that travel as one SMS each (the rule ``analyze`` counts).

    One part up to 160 septets (GSM-7) or 70 UTF-16 units (UCS-2); longer texts are cut into
    parts of 153 / 67 (the rest carries the concatenation header), never splitting an escape
    sequence or a surrogate pair. An empty text is no part.
    """
    if not text:
        return []
    encoding = encoding or encoding_of(text)
    if len(text) * 2 <= SINGLE[encoding]:
        return [text]  # fits whatever its characters cost
    units = [_units(ch, encoding) for ch in text]
    if sum(units) <= SINGLE[encoding]:
        return [text]
    size, parts, start, used = MULTI[encoding], [], 0, 0
    for i, n in enumerate(units):
        if used + n > size:
            parts.append(text[start:i])
            start, used = i, 0
        used += n
    parts.append(text[start:])
    return parts


def transliterate(text: str) -> str:
    """``text`` in GSM-7, keeping every GSM-7 character (é ñ Ñ ü ¿ ¡ stay; á → a, Ó → O).

    Characters with no GSM-7 equivalent (emoji, other scripts) are dropped.
    """
    out = []
    for ch in text:
        if ch in GSM_ALL:
            out.append(ch)
            continue
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in base if c in GSM_ALL))
    return "".join(out)


def analyze(text: str) -> dict:
    """Encoding, characters, segments, the characters that forced UCS-2 and a GSM-7 version.

    ``characters`` counts septets in GSM-7 (extension characters such as ``€`` count two) and
    UTF-16 code units in UCS-2; ``segments`` uses 160/153 (GSM-7) and 70/67 (UCS-2).
    """
    text = text or ""
    non_gsm = list(dict.fromkeys(ch for ch in text if ch not in GSM_ALL))
    encoding = "UCS-2" if non_gsm else "GSM-7"
    if encoding == "GSM-7":
        characters = len(text) + sum(1 for ch in text if ch in GSM_EXTENSION)
    else:
        characters = len(text.encode("utf-16-le")) // 2
    return {
        "encoding": encoding,
        "characters": characters,
        "segments": _segments(text, encoding, characters),
        "non_gsm_characters": non_gsm,
        "transliterated": transliterate(text) if non_gsm else text,
    }


def segment_limit(encoding: str, segments: int) -> int:
    """Characters that fit in ``segments`` segments (for the counter's "x / y")."""
    if segments <= 1:
        return SINGLE[encoding]
    return MULTI[encoding] * segments
