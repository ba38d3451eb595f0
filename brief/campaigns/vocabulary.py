"""Plain vocabularies that Django-free code reads: channels and contact-base reject reasons.

The cleaning rules (``brief.contacts.cleaning``) are pure and run without configured settings,
so they cannot read :class:`brief.campaigns.choices.Channel` labels (lazy translations need
settings). This module is the one place those words live; ``Channel`` takes its labels from
here for models and forms, and a test proves the codes agree.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation without translating it (Django's, minus settings)."""
    return message


# Campaign channels in the order of the base-quality summary (DESIGN §6 ``usable_by_channel``).
CHANNELS: tuple[str, ...] = ("sms", "whatsapp", "email", "voice", "call")
CHANNEL_LABELS: dict[str, str] = {
    "sms": gettext_noop("SMS"),
    "whatsapp": gettext_noop("WhatsApp"),
    "email": gettext_noop("Correo electrónico"),
    "voice": gettext_noop("Mensaje de voz (blaster)"),
    "call": gettext_noop("Llamada outbound"),
}
# Beneficiaries abroad are contacted by WhatsApp and e-mail only (DESIGN §3).
ABROAD_CHANNELS = frozenset({"whatsapp", "email"})

# Why a row of a contact base is rejected, in the summary's order (DESIGN §6 ``rejected``):
# the heading of each count, and the reason written on each rejected row.
REJECT_CODES: tuple[str, ...] = (
    "duplicate",
    "missing_document",
    "missing_name",
    "no_valid_contact",
)
REJECT_LABELS: dict[str, str] = {
    "duplicate": gettext_noop("Duplicados"),
    "missing_document": gettext_noop("Sin documento"),
    "missing_name": gettext_noop("Sin nombre"),
    "no_valid_contact": gettext_noop("Sin contacto válido"),
}
REJECT_REASONS: dict[str, str] = {
    "missing_document": gettext_noop("Documento ausente o inválido"),
    "missing_name": gettext_noop("Nombre ausente"),
    "duplicate": gettext_noop("Documento repetido"),
    "no_valid_contact": gettext_noop("Sin canal de contacto válido"),
}
