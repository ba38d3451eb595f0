"""The billing rule of an interaction (Anexo 1.5), pure: what is missing, and what it means.

A call is billable when it is typified, has its ID (the dialer's), its audio recording and its
screen recording; a message (SMS, e-mail, WhatsApp, voice) when it has the provider's ID and
the provider's status. Each missing piece is an exclusion, kept with the interaction.
"""

from __future__ import annotations

from collections.abc import Collection

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
