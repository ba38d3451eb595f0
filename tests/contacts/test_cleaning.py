"""Cleaning rules 1-8 of a contact base (issue 4), case by case, plus `brief base check`."""

from __future__ import annotations

import json
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brief.contacts.cleaning import (
    CHANNELS,
    MISSING_TOKENS,
    BaseFileError,
    check_file,
    classify_candidates,
    classify_phone_exact,
    clean_base,
    country_name,
    email_validity,
    expand_scientific,
    is_colombia,
    is_missing,
    is_valid_email,
    missing_to_null,
    normalize_doc_number,
    normalize_doc_type,
    parse_channels,
    phone_candidate,
    phone_candidates,
    undo_spreadsheet_damage,
    undo_spreadsheet_damage_series,
)

HEADER = ["tipo", "documento", "nombres", "apellidos", "celular", "fijo", "correo", "pais"]


def person(
    doc="1020304050",
    *,
    tipo="CC",
    nombres="Ana",
    apellidos="Pérez",
    celular="3001234567",
    fijo=None,
    correo="ana@example.com",
    pais=None,
) -> list[str | None]:
    return [tipo, doc, nombres, apellidos, celular, fijo, correo, pais]


def frame(*rows: list[str | None], header: list[str] = HEADER) -> pl.DataFrame:
    return pl.DataFrame(
        [list(r) for r in rows], schema=dict.fromkeys(header, pl.String), orient="row"
    )


def clean(*rows: list[str | None], channels=None, header: list[str] = HEADER):
    return clean_base(frame(*rows, header=header), channels=channels)


def expr_values(expr_fn, values: list[str | None]) -> list[str | None]:
    return (
        pl.DataFrame({"v": values}, schema={"v": pl.String})
        .select(expr_fn(pl.col("v")))["v"]
        .to_list()
    )


# --------------------------------------------------------------------------- rule 1


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "\t",
        "\u00a0",
        "n/a",
        "N/A",
        "na",
        "NA",
        "null",
        "NULL",
        "none",
        "None",
        "-",
        " - ",
        "sin dato",
        "SIN DATO",
        "sin información",
        "Sin Información",
        "SIN INFORMACIÓN",
        "no aplica",
        "No Aplica",
        "0",
        " 0 ",
    ],
)
def test_rule1_missing_values_become_null(value):
    # when
    result = expr_values(missing_to_null, [value])

    # then
    assert result == [None]
    assert is_missing(value) is True


@pytest.mark.parametrize("value", ["00", "0.0", "nada", "n.a.", "--", "sin", "Ana", "o"])
def test_rule1_other_values_are_kept_trimmed(value):
    # when
    result = expr_values(missing_to_null, [f"  {value}  "])

    # then
    assert result == [value]
    assert is_missing(value) is False


def test_rule1_token_list_is_the_contract():
    # then
    assert MISSING_TOKENS == (
        "n/a",
        "na",
        "null",
        "none",
        "-",
        "sin dato",
        "sin información",
        "no aplica",
        "0",
    )


def test_rule1_applies_to_every_column_before_the_other_rules():
    # given: a missing token in each field
    result = clean(person(celular="N/A", correo="sin dato", fijo="0", pais="null"))

    # then: not invalid (missing), and the country defaults to Colombia
    assert result.summary["field_issues"] == {
        "invalid_phone": 0,
        "landline_only": 0,
        "invalid_email": 0,
    }
    assert result.summary["rejected"]["no_valid_contact"] == 1
    assert result.summary["abroad"] == 0


# --------------------------------------------------------------------------- rule 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1020304050", "1020304050"),
        ("1.020.304.050", "1020304050"),
        ("1,020,304,050", "1020304050"),
        ("1 020 304-050", "1020304050"),
        ("  52-123-456 ", "52123456"),
        ("AB123456", "AB123456"),
        ("ab-123.456", "AB123456"),
        ("1234", "1234"),
        ("123456789012345", "123456789012345"),
        ("123", None),
        ("1.2.3", None),
        ("1234567890123456", None),
        ("1020#304", None),
        ("1020/304", None),
        ("C.C. 1020", "CC1020"),
        (None, None),
    ],
)
def test_rule2_document_number(raw, expected):
    # when / then
    assert expr_values(normalize_doc_number, [raw]) == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CC", "CC"),
        ("cc", "CC"),
        ("C.C.", "CC"),
        ("c.c", "CC"),
        ("Cédula de ciudadanía", "CC"),
        ("CEDULA", "CC"),
        ("ce", "CE"),
        ("Cédula de extranjería", "CE"),
        ("ti", "TI"),
        ("Tarjeta de identidad", "TI"),
        ("pa", "PA"),
        ("Pasaporte", "PA"),
        ("pep", "PEP"),
        ("ppt", "PPT"),
        ("Permiso por Protección Temporal", "PPT"),
        ("nit", "NIT"),
        ("rc", "RC"),
        ("Registro civil", "RC"),
        ("dni", "DNI"),
        (" otro doc ", "OTRO DOC"),
        (None, "CC"),
        ("", "CC"),
        ("N/A", "CC"),
    ],
)
def test_rule2_document_type(raw, expected):
    # when / then
    assert normalize_doc_type(raw) == expected


@pytest.mark.parametrize("doc", [None, "", "N/A", "0", "123", "12#4567", "1234567890123456"])
def test_rule2_missing_or_invalid_document_is_rejected(doc):
    # when
    result = clean(person(doc))

    # then
    assert result.summary["rejected"] == {
        "duplicate": 0,
        "missing_document": 1,
        "missing_name": 0,
        "no_valid_contact": 0,
    }
    assert result.rejects["codigo_motivo"].to_list() == ["missing_document"]
    assert result.rejects["motivo"].to_list() == ["Documento ausente o inválido"]


def test_rule2_normalized_document_and_type_are_stored():
    # when
    result = clean(person("1.020.304.050", tipo="c.c."), person("ab-99.887", tipo="pasaporte"))

    # then
    assert result.contacts.select("doc_type", "doc_number").rows() == [
        ("CC", "1020304050"),
        ("PA", "AB99887"),
    ]


def test_rule2_without_a_type_column_every_type_is_cc():
    # given
    header = ["Cédula", "Nombre completo", "Celular"]

    # when
    result = clean(["52123456", "Ana Pérez", "3001234567"], header=header)

    # then
    assert result.contacts.select("doc_type", "doc_number", "full_name").rows() == [
        ("CC", "52123456", "Ana Pérez")
    ]


# --------------------------------------------------------------------------- rule 3


def test_rule3_first_and_last_names_make_the_full_name():
    # when
    result = clean(person(nombres=" Ana María ", apellidos="Pérez Gómez"))

    # then
    assert result.contacts.select("first_names", "last_names", "full_name").rows() == [
        ("Ana María", "Pérez Gómez", "Ana María Pérez Gómez")
    ]


@pytest.mark.parametrize(
    ("nombres", "apellidos", "full"),
    [("Ana", None, "Ana"), (None, "Pérez", "Pérez"), ("n/a", "Pérez", "Pérez")],
)
def test_rule3_one_name_part_is_enough(nombres, apellidos, full):
    # when
    result = clean(person(nombres=nombres, apellidos=apellidos))

    # then
    assert result.contacts["full_name"].to_list() == [full]


def test_rule3_full_name_column():
    # given
    header = ["Número de documento", "Nombre completo", "Celular"]

    # when
    result = clean(["52123456", "  Luis Gómez ", "3001234567"], header=header)

    # then
    assert result.contacts.select("first_names", "last_names", "full_name").rows() == [
        (None, None, "Luis Gómez")
    ]


@pytest.mark.parametrize(("nombres", "apellidos"), [(None, None), ("", " "), ("N/A", "sin dato")])
def test_rule3_missing_name_is_rejected(nombres, apellidos):
    # when
    result = clean(person(nombres=nombres, apellidos=apellidos))

    # then
    assert result.summary["rejected"]["missing_name"] == 1
    assert result.summary["rows_usable"] == 0
    assert result.rejects.select("codigo_motivo", "motivo").rows() == [
        ("missing_name", "Nombre ausente")
    ]


def test_rules_apply_in_order_missing_document_wins_over_missing_name():
    # when
    result = clean(person(None, nombres=None, apellidos=None))

    # then
    assert result.summary["rejected"]["missing_document"] == 1
    assert result.summary["rejected"]["missing_name"] == 0


# --------------------------------------------------------------------------- rule 4


def test_rule4_first_row_is_kept_later_ones_are_duplicates():
    # when
    result = clean(
        person("52123456", nombres="Ana"),
        person("52.123.456", nombres="Ana Segunda"),
        person("1020304050", nombres="Luis"),
        person("52123456", nombres="Ana Tercera"),
    )

    # then
    assert result.summary["rejected"]["duplicate"] == 2
    assert result.contacts.select("row", "first_names").rows() == [(2, "Ana"), (4, "Luis")]
    assert result.rejects.select("fila", "codigo_motivo", "motivo").rows() == [
        (3, "duplicate", "Documento repetido: se conserva la fila 2"),
        (5, "duplicate", "Documento repetido: se conserva la fila 2"),
    ]


def test_rule4_type_is_part_of_the_key_after_normalization():
    # when
    result = clean(
        person("52123456", tipo="CC"),
        person("52123456", tipo="c.c."),
        person("52123456", tipo=None),
        person("52123456", tipo="TI"),
    )

    # then: CC, c.c. and missing are all CC; TI is another person
    assert result.summary["rejected"]["duplicate"] == 2
    assert result.contacts.select("doc_type").to_series().to_list() == ["CC", "TI"]


def test_rule4_duplicates_add_the_phones_and_emails_the_kept_row_lacks():
    # given
    rows = [
        person("52123456", celular="3001234567", fijo=None, correo="ana@example.com"),
        person("52123456", celular="+57 300 123 4567", fijo="6012345678", correo="ANA@example.com"),
        person("52123456", celular="3109876543", fijo=None, correo="ana.otra@example.com"),
        person("52123456", celular="123", fijo=None, correo="malo@"),
    ]

    # when
    result = clean(*rows)

    # then
    contact = result.contacts.row(0, named=True)
    assert contact["phones"] == [
        {"number": "+573001234567", "kind": "mobile"},
        {"number": "+576012345678", "kind": "fixed"},
        {"number": "+573109876543", "kind": "mobile"},
    ]
    assert contact["emails"] == ["ana@example.com", "ana.otra@example.com"]
    assert (contact["mobile"], contact["landline"], contact["email"]) == (
        "+573001234567",
        "+576012345678",
        "ana@example.com",
    )
    # invalid values of duplicates are not merged and do not count against the kept row
    assert result.summary["field_issues"]["invalid_phone"] == 0
    assert result.summary["field_issues"]["invalid_email"] == 0
    assert result.summary["rejected"]["duplicate"] == 3


def test_rule4_merged_contact_saves_a_kept_row_from_no_valid_contact():
    # given
    rows = [
        person("52123456", celular=None, correo=None),
        person("52123456", celular="3001234567", correo=None),
    ]

    # when
    result = clean(*rows)

    # then
    assert result.summary["rows_usable"] == 1
    assert result.summary["rejected"] == {
        "duplicate": 1,
        "missing_document": 0,
        "missing_name": 0,
        "no_valid_contact": 0,
    }
    assert result.contacts["mobile"].to_list() == ["+573001234567"]


def test_rule4_rows_rejected_by_rules_2_or_3_are_not_candidates_for_first():
    # given: the first row with the document has no name
    rows = [
        person("52123456", nombres=None, apellidos=None),
        person("52123456", nombres="Ana"),
    ]

    # when
    result = clean(*rows)

    # then
    assert result.summary["rejected"]["missing_name"] == 1
    assert result.summary["rejected"]["duplicate"] == 0
    assert result.contacts.select("row", "first_names").rows() == [(3, "Ana")]


# --------------------------------------------------------------------------- rule 5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3001234567.0", "3001234567"),
        ("3001234567.00", "3001234567"),
        ("3001234567,0", "3001234567"),
        ("3.001234567E+09", "3001234567"),
        ("3.001234567e+09", "3001234567"),
        ("3.001234567E09", "3001234567"),
        ("3,001234567E+09", "3001234567"),
        ("6.01234567E+09", "6012345670"),
        ("3.0012345670E+09", "3001234567"),
        ("5.73001234567E+11", "573001234567"),
        ("3E+09", "3000000000"),
        ("3.00123456789E+09", "3.00123456789E+09"),
        ("300 123 4567", "300 123 4567"),
        ("3001234567.5", "3001234567.5"),
    ],
)
def test_rule5_spreadsheet_damage_is_undone_first(raw, expected):
    # when / then
    assert undo_spreadsheet_damage(raw) == expected
    assert undo_spreadsheet_damage_series(pl.Series([raw])).to_list() == [expected]


def test_expand_scientific_refuses_fractions():
    # when / then
    assert expand_scientific("3.5E+00") is None
    assert expand_scientific("1.5E+01") == "15"
    assert expand_scientific("abc") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3001234567", "+573001234567"),
        ("300 123 4567", "+573001234567"),
        ("(300) 123-4567", "+573001234567"),
        ("573001234567", "+573001234567"),
        ("57 300 123 4567", "+573001234567"),
        ("+573001234567", "+573001234567"),
        ("+57 300 123 4567", "+573001234567"),
        ("(+57) 300-123-4567", "+573001234567"),
        ("0057 3001234567", "+573001234567"),
        ("00573001234567", "+573001234567"),
        ("0573001234567", "+573001234567"),
        ("6012345678", "+576012345678"),
        ("(601) 234 5678", "+576012345678"),
        ("+1 305 555 0123", "+13055550123"),
        ("0034 612 345 678", "+34612345678"),
        ("2345678", None),
        ("30012345", None),
        ("57300123456", None),
        ("5730012345678", None),
        ("+", None),
        ("00", None),
        ("abc", None),
    ],
)
def test_rule5_candidate_number(raw, expected):
    # when / then
    assert phone_candidate(raw) == expected
    assert phone_candidates(pl.Series([raw])).to_list() == [expected]


def test_rule5_0573001234567_is_not_what_phonenumbers_alone_would_say():
    # given: parsing the raw value with region CO goes wrong (NOTES.md)
    raw = phonenumbers.parse("0573001234567", "CO")

    # when
    ours = classify_phone_exact(phone_candidate("0573001234567"))

    # then
    assert phonenumbers.is_valid_number(raw) is False
    assert ours == ("+573001234567", 57, "mobile")


@pytest.mark.parametrize(
    ("celular", "e164", "kind"),
    [
        ("3001234567", "+573001234567", "mobile"),
        ("3001234567.0", "+573001234567", "mobile"),
        ("3.001234567E+09", "+573001234567", "mobile"),
        ("+573001234567", "+573001234567", "mobile"),
        ("0057 300 123 4567", "+573001234567", "mobile"),
        ("573001234567", "+573001234567", "mobile"),
        ("0573001234567", "+573001234567", "mobile"),
        ("3241234567", "+573241234567", "mobile"),
        ("6012345678", "+576012345678", "fixed"),
        ("+57 604 444 5555", "+576044445555", "fixed"),
    ],
)
def test_rule5_valid_colombian_numbers(celular, e164, kind):
    # when
    result = clean(person(celular=celular, correo=None))

    # then
    assert result.contacts["phones"].to_list() == [[{"number": e164, "kind": kind}]]
    assert result.summary["field_issues"]["invalid_phone"] == 0


@pytest.mark.parametrize(
    "celular",
    [
        "3991234567",  # no such mobile range
        "3240234567",  # 324 0 is not assigned
        "6002345678",  # 600 is not a landline area
        "2345678",  # old 7-digit landline
        "30012345",
        "300123456789",
        "+13055550123",  # valid, but not Colombian, for a person in Colombia
        "+5718001234567",  # valid Colombian toll-free, not a mobile or fixed line
        "3001234567 ext 12",
        "tel",
    ],
)
def test_rule5_invalid_phones(celular):
    # when
    result = clean(person(celular=celular, correo="ana@example.com"))

    # then
    assert result.summary["field_issues"]["invalid_phone"] == 1
    assert result.contacts["phones"].to_list() == [[]]


def test_rule5_mobile_reaches_sms_whatsapp_voice_and_call_fixed_only_voice_and_call():
    # when
    result = clean(
        person("11111111", celular="3001234567", fijo=None, correo=None),
        person("22222222", celular=None, fijo="6012345678", correo=None),
    )

    # then
    flags = result.contacts.select([f"can_{c}" for c in CHANNELS]).rows()
    assert flags == [(True, True, False, True, True), (False, False, False, True, True)]
    assert result.summary["usable_by_channel"] == {
        "sms": 1,
        "whatsapp": 1,
        "email": 0,
        "voice": 2,
        "call": 2,
    }


def test_rule5_two_invalid_phones_count_once_and_two_landlines_count_once():
    # when
    result = clean(
        person("11111111", celular="123", fijo="456", correo="a@example.com"),
        person("22222222", celular="6012345678", fijo="6044445555", correo=None),
    )

    # then
    assert result.summary["field_issues"]["invalid_phone"] == 1
    assert result.summary["field_issues"]["landline_only"] == 1


def test_rule5_landline_only_needs_no_valid_mobile():
    # when
    result = clean(
        person("11111111", celular="123", fijo="6012345678"),
        person("22222222", celular="3001234567", fijo="6012345678"),
        person("33333333", celular=None, fijo=None),
    )

    # then
    assert result.summary["field_issues"]["landline_only"] == 1
    assert result.summary["field_issues"]["invalid_phone"] == 1


def test_rule5_every_phone_column_counts():
    # given
    header = ["Cédula", "Nombre completo", "Celular", "Celular 2", "Teléfono", "Otro"]
    mapping = {"Otro": "mobile"}
    df = frame(["52123456", "Ana", "123", "3001234567", "6012345678", "3109876543"], header=header)

    # when
    result = clean_base(df, mapping)

    # then
    assert result.contacts["phones"].to_list() == [
        [
            {"number": "+573001234567", "kind": "mobile"},
            {"number": "+576012345678", "kind": "fixed"},
            {"number": "+573109876543", "kind": "mobile"},
        ]
    ]
    assert result.summary["field_issues"]["invalid_phone"] == 1


def _all_prefix_candidates() -> list[str]:
    """Every 3- and 4-digit Colombian prefix with several endings, 8 to 11 digits long."""
    numbers = []
    for prefix in range(1000, 10000):
        for ending in ("000000", "123456", "555012", "999999"):
            numbers.append(f"+57{prefix}{ending}")
    for prefix in range(100, 1000):
        for ending in ("00000", "12345", "99999", "0000000", "1234567", "00000000"):
            numbers.append(f"+57{prefix}{ending}")
    return numbers


def test_rule5_fast_path_agrees_with_phonenumbers_on_every_prefix():
    # given
    candidates = pl.Series(_all_prefix_candidates())

    # when
    fast = classify_candidates(candidates).sort("cand")
    exact = classify_candidates(candidates, fast=False).sort("cand")

    # then
    assert fast.height == exact.height == candidates.n_unique()
    assert fast.to_dicts() == exact.to_dicts()
    kinds = dict(fast.group_by("kind").len().iter_rows())
    assert kinds["mobile"] > 0
    assert kinds["fixed"] > 0


def test_rule5_fast_path_agrees_with_phonenumbers_on_varied_values():
    # given
    raw = [
        "3001234567",
        "3.001234567E+09",
        "+57 300 123 4567",
        "0573001234567",
        "0057 601 234 5678",
        "57 324 123 4567",
        "9408123456",
        "4612345678",
        "+5746123456",
        "+5703001234567",
        "+13055550123",
        "+34 912 345 678",
        "+58 412 1234567",
        "+52 1 55 1234 5678",
        "+44 7700 900123",
        "+999 123",
    ]
    candidates = phone_candidates(undo_spreadsheet_damage_series(pl.Series(raw)))

    # when
    fast = classify_candidates(candidates).sort("cand")
    exact = classify_candidates(candidates, fast=False).sort("cand")

    # then
    assert fast.to_dicts() == exact.to_dicts()
    for row in exact.iter_rows(named=True):
        assert classify_phone_exact(row["cand"]) == (row["e164"], row["cc"], row["kind"])


# --------------------------------------------------------------------------- rule 6

EMAILS = [
    "ana@example.com",
    "ana.perez@example.com",
    "ana_perez+tag@sub.example.co",
    "a-b@ex-ample.com.co",
    "ana@localhost",
    "ana@example",
    "ana@example.test",
    "ana@example.local",
    "ana@onion.onion",
    "ana@example.invalid",
    "ana@ex--ample.com",
    "ana@xn--bcher-kva.com",
    "ana@xn--zz.com",
    "ana@-example.com",
    "ana@example-.com",
    "ana@example.com.",
    "ana@.example.com",
    "ana@example..com",
    "ana..perez@example.com",
    ".ana@example.com",
    "ana.@example.com",
    "ana",
    "ana.example.com",
    "@example.com",
    "ana@",
    "ana@@example.com",
    "ana@b@example.com",
    "ana perez@example.com",
    "ana@exa mple.com",
    "ana@example.c",
    "ana@example.123",
    "ana@123.com",
    "ana@1.2.3.4",
    "ana@[1.2.3.4]",
    '"ana perez"@example.com',
    '"ana"@example.com',
    "juan <ana@example.com>",
    "josé@example.com",
    "ana@bücher.de",
    "ana@ñandú.com.co",
    "ana@example。com",
    "ana！@example.com",
    "ana#1@example.com",
    "ana's@example.com",
    "a{b}@example.com",
    "ana%x@example.com",
    "ana=x@example.com",
    "ana@example.com\u200b",
    "ana@exa_mple.com",
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "ana@" + "a" * 63 + ".com",
    "ana@" + "a" * 64 + ".com",
    "ana@" + ("a" * 60 + ".") * 4 + "com",
    "ana@example.photography",
    "ana@example.xn--p1ai",
    "ana@example.co-",
    "ana@-.com",
    "postmaster@example.com",
    "ana@example.arpa",
    "1@1.co",
]


def test_rule6_fast_path_agrees_with_email_validator():
    # given
    values = pl.Series(EMAILS, dtype=pl.String).str.to_lowercase()

    # when
    fast = email_validity(values).sort("email")
    exact = email_validity(values, fast=False).sort("email")

    # then
    assert fast.to_dicts() == exact.to_dicts()
    assert fast["valid"].sum() > 10
    assert (~fast["valid"]).sum() > 10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" ANA@Example.COM ", ["ana@example.com"]),
        ("Ana.Perez@Example.com", ["ana.perez@example.com"]),
    ],
)
def test_rule6_email_is_trimmed_and_lower_cased(raw, expected):
    # when
    result = clean(person(correo=raw))

    # then
    assert result.contacts["emails"].to_list() == [expected]


@pytest.mark.parametrize(
    "raw", ["ana@", "ana.example.com", "ana@example", "ana perez@example.com", "ana@@x.co"]
)
def test_rule6_invalid_email_is_a_field_issue(raw):
    # when
    result = clean(person(correo=raw))

    # then
    assert result.summary["field_issues"]["invalid_email"] == 1
    assert result.contacts["emails"].to_list() == [[]]
    assert is_valid_email(raw.lower()) is False


def test_rule6_two_email_columns_count_once():
    # given
    header = ["Cédula", "Nombres", "Correo", "Correo 2"]

    # when
    result = clean(["52123456", "Ana", "malo@", "peor@"], header=header)

    # then
    assert result.summary["field_issues"]["invalid_email"] == 1
    assert result.summary["rejected"]["no_valid_contact"] == 1


# --------------------------------------------------------------------------- rule 7


@pytest.mark.parametrize("value", [None, "", "co", "CO", "col", "COL", "Colombia", " colombia "])
def test_rule7_colombia(value):
    # when / then
    assert is_colombia(value) is True
    assert country_name(value) == "Colombia"


@pytest.mark.parametrize(
    "value", ["España", "Estados Unidos", "Venezuela", "República de Colombia"]
)
def test_rule7_any_other_country_is_abroad(value):
    # when / then
    assert is_colombia(value) is False
    assert country_name(value) == value


def test_rule7_abroad_reaches_only_whatsapp_and_email():
    # given
    rows = [
        person("11111111", pais="España", celular="+34 612 345 678", correo="a@example.com"),
        person("22222222", pais="Estados Unidos", celular="3001234567", correo=None),
        person("33333333", pais="España", celular="+34 912 345 678", correo=None),
        person("44444444", pais="Ecuador", celular=None, fijo="6012345678", correo=None),
    ]

    # when
    result = clean(*rows)

    # then
    assert result.summary["abroad"] == 4
    assert result.summary["rows_usable"] == 2
    assert result.summary["rejected"]["no_valid_contact"] == 2
    assert result.summary["usable_by_channel"] == {
        "sms": 0,
        "whatsapp": 2,
        "email": 1,
        "voice": 0,
        "call": 0,
    }
    assert result.contacts.select("country", "abroad", "mobile").rows() == [
        ("España", True, "+34612345678"),
        ("Estados Unidos", True, "+573001234567"),
    ]
    # a foreign fixed line is valid (no invalid_phone) but only a landline
    assert result.summary["field_issues"]["invalid_phone"] == 0
    assert result.summary["field_issues"]["landline_only"] == 2


def test_rule7_abroad_counts_kept_rows_even_when_rule8_rejects_them():
    # when
    result = clean(person(pais="México", celular=None, correo=None))

    # then
    assert result.summary["abroad"] == 1
    assert result.summary["rejected"]["no_valid_contact"] == 1


def test_rule7_abroad_is_not_counted_for_rows_rejected_by_rules_2_to_4():
    # when
    result = clean(person(None, pais="México"), person(pais="Perú"), person(pais="Perú"))

    # then
    assert result.summary["abroad"] == 1


# --------------------------------------------------------------------------- rule 8


def test_rule8_no_usable_channel_among_the_brief_channels_is_rejected():
    # given
    rows = [
        person("11111111", celular=None, fijo=None, correo="a@example.com"),
        person("22222222", celular=None, fijo="6012345678", correo=None),
        person("33333333", celular="3001234567", correo=None),
    ]

    # when
    all_channels = clean(*rows)
    sms_only = clean(*rows, channels=["sms"])
    voice_email = clean(*rows, channels="voice,email")

    # then
    assert all_channels.summary["rows_usable"] == 3
    assert sms_only.summary["rows_usable"] == 1
    assert sms_only.summary["rejected"]["no_valid_contact"] == 2
    assert voice_email.summary["rows_usable"] == 3
    assert sms_only.rejects.select("fila", "codigo_motivo", "motivo").rows() == [
        (2, "no_valid_contact", "Sin teléfono ni correo válido para los canales: SMS"),
        (3, "no_valid_contact", "Sin teléfono ni correo válido para los canales: SMS"),
    ]


def test_rule8_field_issues_count_kept_rows_including_those_rule8_rejects():
    # when
    result = clean(person(celular="123", correo="malo@"), channels=["sms"])

    # then
    assert result.summary["field_issues"] == {
        "invalid_phone": 1,
        "landline_only": 0,
        "invalid_email": 1,
    }
    assert result.summary["rejected"]["no_valid_contact"] == 1


def test_rule8_field_issues_ignore_rows_rejected_by_rules_2_to_4():
    # when
    result = clean(person(None, celular="123"), person(nombres=None, apellidos=None, correo="x@"))

    # then
    assert result.summary["field_issues"] == {
        "invalid_phone": 0,
        "landline_only": 0,
        "invalid_email": 0,
    }


def test_unknown_channel_is_refused_in_spanish():
    # when
    with pytest.raises(BaseFileError) as info:
        parse_channels("sms,fax")

    # then
    assert info.value.code == "bad_channel"
    assert info.value.message == ("Canal desconocido: fax. Use: sms, whatsapp, email, voice, call.")


def test_parse_channels_keeps_the_canonical_order():
    # when / then
    assert parse_channels(" Email, SMS ") == ("sms", "email")
    assert parse_channels(None) == CHANNELS
    assert parse_channels("") == CHANNELS


# --------------------------------------------------------------------------- summary


def test_summary_has_exactly_the_design_format_and_totals_add_up():
    # given
    rows = [
        person("11111111"),  # usable
        person("11111111"),  # duplicate
        person(None),  # missing_document
        person("22222222", nombres=None, apellidos=None),  # missing_name
        person("33333333", celular="123", correo=None),  # no_valid_contact, invalid_phone
        person("44444444", celular=None, fijo="6012345678", correo="x@"),  # landline, bad mail
        person("55555555", pais="España", celular="+34612345678", correo=None),  # abroad
    ]

    # when
    result = clean(*rows)

    # then
    assert result.summary == {
        "rows_total": 7,
        "rows_usable": 3,
        "rows_rejected": 4,
        "rejected": {
            "duplicate": 1,
            "missing_document": 1,
            "missing_name": 1,
            "no_valid_contact": 1,
        },
        "field_issues": {"invalid_phone": 1, "landline_only": 1, "invalid_email": 1},
        "abroad": 1,
        "usable_by_channel": {"sms": 1, "whatsapp": 2, "email": 1, "voice": 2, "call": 2},
        "encoding": "utf-8",
        "delimiter": ",",
    }
    assert list(result.summary) == [
        "rows_total",
        "rows_usable",
        "rows_rejected",
        "rejected",
        "field_issues",
        "abroad",
        "usable_by_channel",
        "encoding",
        "delimiter",
    ]
    assert result.contacts.height == result.summary["rows_usable"]
    assert result.rejects.height == result.summary["rows_rejected"]


def test_contacts_are_normalized_for_storage():
    # given
    header = [*HEADER, "Ciudad", "Departamento", "Programa"]
    row = [
        *person(celular="300 123 4567.0", fijo="(601) 234 5678"),
        "Bogotá",
        "Cundinamarca",
        "Medicina",
    ]
    row[4] = "300 123 4567"

    # when
    result = clean(row, header=header)

    # then
    assert result.contacts.to_dicts() == [
        {
            "row": 2,
            "doc_type": "CC",
            "doc_number": "1020304050",
            "first_names": "Ana",
            "last_names": "Pérez",
            "full_name": "Ana Pérez",
            "phones": [
                {"number": "+573001234567", "kind": "mobile"},
                {"number": "+576012345678", "kind": "fixed"},
            ],
            "mobile": "+573001234567",
            "landline": "+576012345678",
            "emails": ["ana@example.com"],
            "email": "ana@example.com",
            "country": "Colombia",
            "abroad": False,
            "city": "Bogotá",
            "department": "Cundinamarca",
            "custom": '{"Programa":"Medicina"}',
            "can_sms": True,
            "can_whatsapp": True,
            "can_email": True,
            "can_voice": True,
            "can_call": True,
        }
    ]


def test_rejects_keep_the_original_values_untouched():
    # given
    df = frame(person(" 12 ", nombres="  Ana ", celular="3001234567.0", correo=" X@Y "))

    # when
    result = clean_base(df)

    # then
    assert result.rejects.columns == ["fila", *HEADER, "codigo_motivo", "motivo"]
    assert result.rejects.row(0) == (
        2,
        "CC",
        " 12 ",
        "  Ana ",
        "Pérez",
        "3001234567.0",
        None,
        " X@Y ",
        None,
        "missing_document",
        "Documento ausente o inválido",
    )


def test_headers_that_look_like_internal_columns_do_not_clash():
    # given
    header = ["documento", "nombres", "celular", "abroad", "reason", "fila", "_idx"]
    df = frame(["52123456", "Ana", "3001234567", "x", "y", "z", "w"], header=header)

    # when
    result = clean_base(df)

    # then
    assert result.summary["rows_usable"] == 1
    assert result.contacts["custom"].to_list() == [
        '{"abroad":"x","reason":"y","fila":"z","_idx":"w"}'
    ]


def test_mapping_override_turns_a_custom_column_into_a_phone():
    # given
    df = frame(["52123456", "Ana", "3001234567"], header=["Cédula", "Nombres", "Contacto"])

    # when
    proposed = clean_base(df)
    overridden = clean_base(df, {"Contacto": "mobile"})

    # then
    assert proposed.summary["rows_usable"] == 0
    assert overridden.summary["rows_usable"] == 1
    assert overridden.mapping["Contacto"] == "mobile"


def test_row_numbers_come_from_the_file():
    # given
    df = frame(person(None), person("52123456"))

    # when
    result = clean_base(df, row_numbers=pl.Series([10, 12]))

    # then
    assert result.rejects["fila"].to_list() == [10]
    assert result.contacts["row"].to_list() == [12]


# --------------------------------------------------------------------------- files and CLI


def write_base(tmp_path: Path, text: str, *, name="base.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


BASE_TEXT = (
    "Tipo de documento;Número de documento;Nombres;Apellidos;Celular;Correo electrónico;País\n"
    "CC;1.020.304.050;José;Núñez;3001234567.0;JOSE@EXAMPLE.COM;\n"
    "C.C.;1020304050;José;Núñez;+57 310 987 6543;;\n"
    "CC;;Sin;Documento;3001234567;;\n"
    "TI;99887766;;;3001234567;;\n"
    "CE;55443322;Eva;Ruiz;123;malo@;\n"
    "PA;AB12345;John;Doe;+1 305 555 0123;;Estados Unidos\n"
)


def test_check_file_on_a_windows_1252_csv(tmp_path):
    # given
    path = write_base(tmp_path, BASE_TEXT, encoding="cp1252")

    # when
    result = check_file(path)

    # then
    assert result.summary == {
        "rows_total": 6,
        "rows_usable": 2,
        "rows_rejected": 4,
        "rejected": {
            "duplicate": 1,
            "missing_document": 1,
            "missing_name": 1,
            "no_valid_contact": 1,
        },
        "field_issues": {"invalid_phone": 1, "landline_only": 0, "invalid_email": 1},
        "abroad": 1,
        "usable_by_channel": {"sms": 1, "whatsapp": 2, "email": 1, "voice": 1, "call": 1},
        "encoding": "windows-1252",
        "delimiter": ";",
    }
    assert result.contacts.select("full_name", "mobile").rows() == [
        ("José Núñez", "+573001234567"),
        ("John Doe", "+13055550123"),
    ]
    assert result.contacts["phones"].to_list()[0] == [
        {"number": "+573001234567", "kind": "mobile"},
        {"number": "+573109876543", "kind": "mobile"},
    ]


def test_check_file_on_an_xlsx_with_numeric_documents(tmp_path):
    # given
    import xlsxwriter

    path = tmp_path / "base.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["Cédula", "Nombres", "Celular"])
    ws.write_row(1, 0, [1020304050, "Ana", 3001234567])
    ws.write_row(2, 0, [1020304050, "Ana bis", 3109876543])
    book.close()

    # when
    result = check_file(path, channels=["sms"])

    # then
    assert result.summary["rows_total"] == 2
    assert result.summary["rows_usable"] == 1
    assert result.summary["rejected"]["duplicate"] == 1
    assert (result.summary["encoding"], result.summary["delimiter"]) == (None, None)
    assert result.contacts.select("doc_number", "mobile").rows() == [
        ("1020304050", "+573001234567")
    ]


def test_cli_check_prints_the_json_summary(tmp_path, capsys):
    # given
    path = write_base(tmp_path, BASE_TEXT)

    # when
    call_command("base", "check", str(path), "--json", "--channels", "sms,email")

    # then
    printed = json.loads(capsys.readouterr().out)
    assert printed == check_file(path, channels="sms,email").summary
    assert printed["rows_usable"] == 1
    assert printed["rejected"]["no_valid_contact"] == 2


def test_cli_check_prints_a_spanish_table_and_writes_rejects(tmp_path, capsys):
    # given
    path = write_base(tmp_path, BASE_TEXT)
    out = tmp_path / "rechazados.csv"

    # when
    call_command("base", "check", str(path), "--rejects", str(out))

    # then
    text = capsys.readouterr().out
    assert "Registros en el archivo" in text
    assert "Registros depurados (usables)" in text
    assert "separador: «;» (punto y coma)" in text
    rejects = pl.read_csv(out, infer_schema=False)
    assert rejects.columns[0] == "fila"
    assert rejects.columns[-2:] == ["codigo_motivo", "motivo"]
    assert rejects.select("fila", "Número de documento", "motivo").rows() == [
        ("3", "1020304050", "Documento repetido: se conserva la fila 2"),
        ("4", None, "Documento ausente o inválido"),
        ("5", "99887766", "Nombre ausente"),
        (
            "6",
            "55443322",
            "Sin teléfono ni correo válido para los canales: SMS, WhatsApp, "
            "Correo electrónico, Mensaje de voz (blaster), Llamada outbound",
        ),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "El archivo está vacío."),
        (b"Cedula,Nombres\n", "El archivo solo tiene la fila de encabezados; no trae registros."),
        (b"a,b\n1,2\n3\n", "La línea 3 tiene 1 columna y el encabezado tiene 2."),
    ],
)
def test_cli_bad_file_exits_with_code_2_and_a_spanish_message(tmp_path, content, message):
    # given
    path = tmp_path / "base.csv"
    path.write_bytes(content)

    # when
    with pytest.raises(CommandError) as info:
        call_command("base", "check", str(path))

    # then
    assert info.value.returncode == 2
    assert str(info.value).startswith(message)


def test_cli_unknown_channel_exits_with_code_2(tmp_path):
    # given
    path = write_base(tmp_path, BASE_TEXT)

    # when
    with pytest.raises(CommandError) as info:
        call_command("base", "check", str(path), "--channels", "fax")

    # then
    assert info.value.returncode == 2
