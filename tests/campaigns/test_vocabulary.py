"""The plain vocabularies agree with the choices models and forms use."""

from __future__ import annotations

import subprocess
import sys

from brief.campaigns.choices import Channel, channel_label
from brief.campaigns.vocabulary import CHANNEL_LABELS, CHANNELS, REJECT_CODES, REJECT_LABELS
from brief.contacts.choices import SuppressionChannel
from brief.contacts.cleaning import empty_summary


def test_plain_channels_are_the_channel_choices_with_the_same_labels():
    assert sorted(CHANNELS) == sorted(Channel.values)
    assert {c: str(Channel(c).label) for c in CHANNELS} == CHANNEL_LABELS
    assert [channel_label(c) for c in CHANNELS] == [CHANNEL_LABELS[c] for c in CHANNELS]
    assert channel_label("fax") == "fax"


def test_suppression_channels_are_the_channels_plus_all():
    assert dict(SuppressionChannel.choices) == {
        "all": "Todos los canales",
        **{c: CHANNEL_LABELS[c] for c in Channel.values},
    }


def test_summary_keys_follow_the_vocabulary():
    summary = empty_summary()
    assert tuple(summary["usable_by_channel"]) == CHANNELS
    assert tuple(summary["rejected"]) == REJECT_CODES == tuple(REJECT_LABELS)


def test_cleaning_reads_the_vocabulary_without_django_settings():
    # given a fresh interpreter without DJANGO_SETTINGS_MODULE
    code = (
        "import os; os.environ.pop('DJANGO_SETTINGS_MODULE', None)\n"
        "from brief.contacts import cleaning\n"
        "print(cleaning.parse_channels('voice,call'))\n"
    )
    # when the pure cleaning module is imported and used
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    # then it works without configured settings
    assert out.stdout.strip() == "('voice', 'call')"
