"""The synthetic Colombian base used by tests, the demo and the benchmark."""

from __future__ import annotations

import polars as pl

from brief.contacts import synth
from brief.contacts.cleaning import check_file, clean_base
from brief.contacts.reader import propose_mapping


def test_generate_has_n_rows_and_the_ten_columns():
    # when
    df = synth.generate(1000, seed=1)

    # then
    assert df.shape == (1000, 10)
    assert df.columns == [
        "Tipo de documento",
        "Número de documento",
        "Nombres",
        "Apellidos",
        "Celular",
        "Teléfono fijo",
        "Correo electrónico",
        "País",
        "Ciudad",
        "Departamento",
    ]
    assert set(df.schema.values()) == {pl.String}


def test_generate_is_deterministic_by_seed():
    # when
    first = synth.generate(2000, seed=7)
    again = synth.generate(2000, seed=7)
    other = synth.generate(2000, seed=8)

    # then
    assert first.equals(again)
    assert not first.equals(other)


def test_headers_are_all_recognized():
    # when
    mapping = propose_mapping(synth.HEADERS)

    # then
    assert mapping == {
        "Tipo de documento": "doc_type",
        "Número de documento": "doc_number",
        "Nombres": "first_names",
        "Apellidos": "last_names",
        "Celular": "mobile",
        "Teléfono fijo": "landline",
        "Correo electrónico": "email",
        "País": "country",
        "Ciudad": "city",
        "Departamento": "department",
    }


def test_about_five_percent_of_rows_are_duplicates():
    # given
    df = synth.generate(20_000, seed=3)

    # when
    summary = clean_base(df).summary

    # then
    share = summary["rejected"]["duplicate"] / summary["rows_total"]
    assert 0.045 <= share <= 0.05
    assert summary["rows_total"] == summary["rows_usable"] + summary["rows_rejected"]


def test_every_oddity_is_present():
    # given
    df = synth.generate(20_000, seed=5)
    mobile = df["Celular"].drop_nulls()
    landline = df["Teléfono fijo"].drop_nulls()
    email = df["Correo electrónico"].drop_nulls()

    # when
    def has(series: pl.Series, pattern: str) -> bool:
        return bool(series.str.contains(pattern).any())

    # then
    assert has(mobile, r"^3\d{9}\.0$")
    assert has(mobile, r"^3\.\d{9}E\+09$")
    assert has(mobile, r"^\+57 3\d{9}$")
    assert has(mobile, r"^0057 3\d{9}$")
    assert has(mobile, r"^573\d{9}$")
    assert has(mobile, r"^0573\d{9}$")
    assert has(mobile, r"^\(3\d\d\) \d{3}-\d{4}$")
    assert has(mobile, r"^\+(1|34|52|58|593) ")
    assert has(mobile, r"^0$")
    assert has(landline, r"^60[1-8]\d{7}$")
    assert has(landline, r"^\(60\d\) \d{7}$")
    assert has(email, r"^[A-Z.0-9]+@[A-Z.]+$")
    assert has(email, "@@")
    assert has(email, "^sin dato$")
    assert has(df["Número de documento"].drop_nulls(), r"^\d{1,3}(\.\d{3})+$")
    assert set(df["País"].drop_nulls().unique()) >= {"Colombia", "COL", "España"}


def test_summary_of_a_generated_base_is_plausible():
    # given
    df = synth.generate(20_000, seed=11)

    # when
    summary = clean_base(df).summary

    # then
    total = summary["rows_total"]
    assert total == 20_000
    assert 0.01 <= summary["abroad"] / total <= 0.03
    assert 0.05 <= summary["field_issues"]["invalid_phone"] / total <= 0.15
    assert 0.02 <= summary["field_issues"]["invalid_email"] / total <= 0.08
    assert summary["field_issues"]["landline_only"] > 0
    assert summary["rejected"]["missing_document"] > 0
    assert summary["rejected"]["missing_name"] > 0
    assert summary["rejected"]["no_valid_contact"] > 0
    assert 0.85 <= summary["rows_usable"] / total <= 0.97


def test_write_csv_round_trips_through_the_reader(tmp_path):
    # given
    path = synth.write_csv(tmp_path / "base.csv", 3000, seed=2)

    # when
    result = check_file(path)

    # then
    assert result.summary["rows_total"] == 3000
    assert (result.summary["encoding"], result.summary["delimiter"]) == ("utf-8", ",")
    assert result.summary == clean_base(synth.generate(3000, seed=2)).summary | {
        "encoding": "utf-8",
        "delimiter": ",",
    }


def test_write_csv_with_another_separator(tmp_path):
    # given
    path = synth.write_csv(tmp_path / "base.csv", 500, seed=2, separator=";")

    # when
    result = check_file(path)

    # then
    assert result.summary["delimiter"] == ";"
    assert result.summary["rows_total"] == 500
