"""The billing rule (Anexo 1.5), pure: each missing piece is its own exclusion."""

from __future__ import annotations

import pytest

from brief.calls import billing

COMPLETE_CALL = {
    "typified": True,
    "external_id": "DIAL-1",
    "provider_status": "",
    "recordings": {"audio", "screen"},
}


def test_a_complete_call_is_billable():
    assert billing.exclusions("call", **COMPLETE_CALL) == []
    assert billing.completeness("call", []) == 100


@pytest.mark.parametrize(
    ("missing", "change", "exclusion"),
    [
        ("tag", {"typified": False}, "untypified"),
        ("ID", {"external_id": "  "}, "no_id"),
        ("audio", {"recordings": {"screen"}}, "no_audio"),
        ("screen", {"recordings": {"audio"}}, "no_screen"),
    ],
)
def test_a_call_without_one_piece_is_excluded_for_it(missing, change, exclusion):
    got = billing.exclusions("call", **{**COMPLETE_CALL, **change})
    assert got == [exclusion], missing
    assert billing.completeness("call", got) == 75


def test_a_call_with_nothing_lists_every_reason():
    got = billing.exclusions(
        "call", typified=False, external_id="", provider_status="", recordings=set()
    )
    assert got == ["untypified", "no_id", "no_audio", "no_screen"]
    assert billing.completeness("call", got) == 0


@pytest.mark.parametrize("channel", ["sms", "email", "whatsapp", "voice"])
def test_messages_need_the_provider_id_and_status(channel):
    full = {"typified": False, "external_id": "wamid.1", "provider_status": "delivered"}
    assert billing.exclusions(channel, **full, recordings=()) == []
    assert billing.exclusions(channel, **{**full, "external_id": ""}, recordings=()) == ["no_id"]
    assert billing.exclusions(channel, **{**full, "provider_status": ""}, recordings=()) == [
        "no_provider_status"
    ]
    assert billing.completeness(channel, ["no_id"]) == 50
