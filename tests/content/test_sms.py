"""SMS encoding and segments on exact cases (one implementation for API and editor)."""

from __future__ import annotations

import pytest

from brief.content.sms import analyze, transliterate


def test_informacion_with_accent_is_ucs2_in_one_segment():
    assert analyze("Información") == {
        "encoding": "UCS-2",
        "characters": 11,
        "segments": 1,
        "non_gsm_characters": ["ó"],
        "transliterated": "Informacion",
    }


def test_informacion_without_accent_is_gsm7():
    result = analyze("Informacion")
    assert (result["encoding"], result["characters"], result["segments"]) == ("GSM-7", 11, 1)
    assert result["non_gsm_characters"] == []
    assert result["transliterated"] == "Informacion"


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segments_are_160_then_153(length, segments):
    result = analyze("a" * length)
    assert result["encoding"] == "GSM-7"
    assert result["characters"] == length
    assert result["segments"] == segments


def test_euro_and_other_extension_characters_count_two():
    assert analyze("€")["characters"] == 2
    assert analyze("€")["encoding"] == "GSM-7"
    assert analyze("[x]{y}~^|\\")["characters"] == 18  # 8 extension (2 each) + 2 basic
    assert analyze("a" * 158 + "€")["segments"] == 1  # 160 septets
    assert analyze("a" * 159 + "€")["segments"] == 2  # 161 septets


def test_an_escape_sequence_is_never_split_between_segments():
    # 152 + € (2) would straddle the 153-septet boundary: € moves to segment 2, so 3 in all
    result = analyze("a" * 152 + "€" + "a" * 152)
    assert result["characters"] == 306
    assert result["segments"] == 3


@pytest.mark.parametrize(
    ("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_segments_are_70_then_67(length, segments):
    result = analyze("ó" + "a" * (length - 1))
    assert result["encoding"] == "UCS-2"
    assert result["characters"] == length
    assert result["segments"] == segments


def test_ucs2_counts_utf16_code_units():
    result = analyze("Hola 😀")
    assert result["characters"] == 7  # the emoji is a surrogate pair
    assert result["non_gsm_characters"] == ["😀"]
    assert result["transliterated"] == "Hola "


def test_spanish_letters_in_and_out_of_gsm7():
    for ch in "áíóúÁÍÓÚ":
        assert analyze(ch)["encoding"] == "UCS-2", ch
    for ch in "éñÑü¿¡É":
        assert analyze(ch)["encoding"] == "GSM-7", ch


def test_non_gsm_characters_are_unique_and_in_order():
    result = analyze("Ú á ó á Ú ó")
    assert result["non_gsm_characters"] == ["Ú", "á", "ó"]


def test_transliteration_keeps_gsm7_characters():
    text = "¿Cómo está, Ñoño? ¡Último día! Pingüino, José, “ahorro” — 50 €"
    assert transliterate(text) == '¿Como esta, Ñoño? ¡Ultimo dia! Pingüino, José, "ahorro" - 50 €'
    assert analyze(transliterate(text))["encoding"] == "GSM-7"
