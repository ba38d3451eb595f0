"""The billing rule of an interaction (Anexo 1.5), pure: what is missing, and what it means.

A call is billable when it is typified, has its ID (the dialer's), its audio recording and its
screen recording; a message (SMS, e-mail, WhatsApp, voice) when it has the provider's ID and
the provider's status. Each missing piece is an exclusion, kept with the interaction.
"""

from __future__ import annotations

from collections.abc import Collection

from brief.dispatch.choices import MessageStatus

from .choices import RECORDED_CHANNELS, Exclusion, RecordingKind


def exclusions(
    channel: str,
    *,
    typified: bool,
    external_id: str,
    provider_status: str,
    recordings: Collection[str],
) -> list[str]:
    """The exclusion codes of an interaction, in a fixed order (empty when billable)."""
    out: list[str] = []
    if channel in RECORDED_CHANNELS:
        if not typified:
            out.append(Exclusion.UNTYPIFIED)
        if not external_id.strip():
            out.append(Exclusion.NO_ID)
        if RecordingKind.AUDIO not in recordings:
            out.append(Exclusion.NO_AUDIO)
        if RecordingKind.SCREEN not in recordings:
            out.append(Exclusion.NO_SCREEN)
        return out
    if not external_id.strip():
        out.append(Exclusion.NO_ID)
    if not provider_status.strip():
        out.append(Exclusion.NO_PROVIDER_STATUS)
    return out


def completeness(channel: str, missing: Collection[str]) -> int:
    """The share of the pieces the rule asks for that are present, in percent."""
    required = 4 if channel in RECORDED_CHANNELS else 2
    return (required - len(missing)) * 100 // required


# --- messages of the dispatch outbox (the billing statement) ---------------------------------

# A dispatch ``Message`` handed to the provider (``sent_at`` set) is billable on the same rule
# as a message interaction: the provider's ID and a *final* status the provider reported —
# delivered, read, answered by a machine, unanswered, failed or bounced. ``sent`` (accepted,
# no receipt yet) and ``unknown`` are not final. Stated here once; the statement applies it.
MESSAGE_FINAL_STATUSES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.READ,
        MessageStatus.VOICEMAIL,
        MessageStatus.NO_ANSWER,
        MessageStatus.FAILED,
        MessageStatus.BOUNCED,
    }
)


def message_exclusions(*, provider_message_id: str, status: str) -> list[str]:
    """The exclusion codes of a sent dispatch message (empty when billable)."""
    out: list[str] = []
    if not provider_message_id.strip():
        out.append(Exclusion.NO_ID)
    if status not in MESSAGE_FINAL_STATUSES:
        out.append(Exclusion.NO_PROVIDER_STATUS)
    return out
