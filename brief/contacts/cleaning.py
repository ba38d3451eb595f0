"""Cleaning rules 1-8 of a contact base (issue 4), vectorized with polars.

Each rule is a small pure function. Phones and e-mails are decided by a vectorized pre-pass
that is exact by construction (the phone pass evaluates phonenumbers' own Colombian metadata
patterns); whatever the pre-pass cannot decide goes, once per distinct value, to phonenumbers
(region CO) or email-validator (no DNS).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
import polars as pl
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneMetadata, PhoneNumberType

from brief.campaigns.vocabulary import CHANNEL_LABELS, CHANNELS, REJECT_CODES, REJECT_REASONS
from brief.contacts.reader import (
    DEFAULT_MAX_BYTES,
    FIELDS,
    BaseFileError,
    read_base,
    resolve_mapping,
    strip_accents,
)

MISSING_TOKENS = (
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
# Blank, or a token surrounded by blanks (one regex pass instead of trim + compare).
_MISSING_RE = r"(?i)^\s*(?:n/a|na|null|none|-|sin dato|sin informaci[oó]n|no aplica|0)?\s*$"


DOC_TYPES = ("CC", "CE", "TI", "PA", "PEP", "PPT", "NIT", "RC")
_DOC_TYPE_ALIASES = {
    "CC": "CC",
    "CEDULA": "CC",
    "CEDULACIUDADANIA": "CC",
    "CEDULADECIUDADANIA": "CC",
    "CE": "CE",
    "CEDULAEXTRANJERIA": "CE",
    "CEDULADEEXTRANJERIA": "CE",
    "TI": "TI",
    "TARJETAIDENTIDAD": "TI",
    "TARJETADEIDENTIDAD": "TI",
    "PA": "PA",
    "PAS": "PA",
    "PP": "PA",
    "PASAPORTE": "PA",
    "PASSPORT": "PA",
    "PEP": "PEP",
    "PERMISOESPECIALPERMANENCIA": "PEP",
    "PERMISOESPECIALDEPERMANENCIA": "PEP",
    "PPT": "PPT",
    "PERMISOPROTECCIONTEMPORAL": "PPT",
    "PERMISOPORPROTECCIONTEMPORAL": "PPT",
    "PERMISODEPROTECCIONTEMPORAL": "PPT",
    "NIT": "NIT",
    "RC": "RC",
    "REGISTROCIVIL": "RC",
    "REGISTROCIVILNACIMIENTO": "RC",
    "REGISTROCIVILDENACIMIENTO": "RC",
}
COLOMBIA = "Colombia"
_COLOMBIA_TOKENS = {"co", "col", "colombia"}

PHONE_FIELDS = ("mobile", "landline")
_SCI_RE = r"^\d(?:[.,]\d+)?[eE]\+?\d{1,2}$"
_SCI_PY = re.compile(r"(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})")
_TRAILING_ZERO_RE = r"^(\d+)[.,]0+$"
_FAST_CO = r"^\+57[1-9]\d{9}$"

_EMAIL_FAST_VALID = (
    r"^[a-z0-9_+\-]+(?:\.[a-z0-9_+\-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_EMAIL_SPECIAL_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test")


# --------------------------------------------------------------------------- rule 1


def missing_to_null(expr: pl.Expr) -> pl.Expr:
    """Rule 1: trim; empty or a missing-value token (case-insensitive) becomes null."""
    text = expr.cast(pl.String)
    return pl.when(~text.str.contains(_MISSING_RE)).then(text.str.strip_chars())


def is_missing(value: str | None) -> bool:
    """Rule 1 for a single value."""
    if value is None:
        return True
    text = value.strip().lower()
    return text == "" or text in MISSING_TOKENS or text == "sin informacion"


# --------------------------------------------------------------------------- rule 2


def normalize_doc_number(expr: pl.Expr) -> pl.Expr:
    """Rule 2: drop spaces, dots, commas and hyphens; 4-15 letters or digits, else null."""
    cleaned = expr.str.replace_all(r"[\s.,\-\u2010-\u2015]", "").str.to_uppercase()
    return pl.when(cleaned.str.contains(r"^[0-9A-Z]{4,15}$")).then(cleaned).otherwise(None)


def normalize_doc_type(value: str | None) -> str:
    """Rule 2: CC, CE, TI, PA, PEP, PPT, NIT, RC from their usual spellings; others
    upper-cased; missing means CC."""
    if value is None or is_missing(value):
        return "CC"
    key = re.sub(r"[^A-Z0-9]", "", strip_accents(value).upper())
    return _DOC_TYPE_ALIASES.get(key, value.strip().upper())


# --------------------------------------------------------------------------- rule 3


def _join_parts(exprs: list[pl.Expr]) -> pl.Expr:
    """Values (already trimmed by rule 1) joined by a space; null when all are null."""
    if not exprs:
        return pl.lit(None, dtype=pl.String)
    if len(exprs) == 1:
        return exprs[0]
    joined = pl.concat_str(exprs, separator=" ", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def build_names(
    first: list[pl.Expr], last: list[pl.Expr], full: list[pl.Expr]
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Rule 3: (first_names, last_names, full_name); full_name is null when the name is
    missing. First + last names win over a full-name column."""
    first_names = _join_parts(first)
    last_names = _join_parts(last)
    full_name = pl.coalesce(_join_parts([first_names, last_names]), _join_parts(full))
    return first_names, last_names, full_name


# --------------------------------------------------------------------------- rule 5


def expand_scientific(value: str) -> str | None:
    """'3.001234567E+09' -> '3001234567'; None when it is not a whole number in that form."""
    match = _SCI_PY.fullmatch(value)
    if not match:
        return None
    lead, frac, exp = match.group(1), match.group(2) or "", int(match.group(3))
    if len(frac) > exp:
        if frac[exp:].strip("0"):
            return None
        frac = frac[:exp]
    return lead + frac + "0" * (exp - len(frac))


def undo_spreadsheet_damage(value: str) -> str:
    """Rule 5 (first step) for one value: '3001234567.0' and '3.001234567E+09' -> digits."""
    text = value.strip()
    match = re.fullmatch(_TRAILING_ZERO_RE[1:-1], text)
    if match:
        return match.group(1)
    expanded = expand_scientific(text)
    return expanded if expanded is not None else text


def undo_spreadsheet_damage_series(values: pl.Series) -> pl.Series:
    """Vectorized `undo_spreadsheet_damage` (scientific forms go through Python once each)."""
    out = values.str.strip_chars().str.replace(_TRAILING_ZERO_RE, "${1}")
    sci = out.filter(out.str.contains(_SCI_RE)).unique()
    if sci.len():
        fixed = [expand_scientific(v) or v for v in sci.to_list()]
        out = out.replace(sci, pl.Series(fixed, dtype=pl.String))
    return out


def phone_candidates(values: pl.Series) -> pl.Series:
    """Rule 5: the E.164 candidate of each undamaged phone value, or null when the value is
    neither international (+, 00) nor Colombian (12 digits 57..., 0 57..., 10 digits).

    Steps are materialized one by one: polars would otherwise recompute shared
    sub-expressions inside the when/then chain."""
    frame = pl.DataFrame({"v": values}).with_columns(
        kept=pl.col("v").str.replace_all(r"[^0-9+]", "")
    )
    frame = frame.with_columns(
        plus=pl.col("kept").str.starts_with("+"),
        d=pl.col("kept").str.replace_all("+", "", literal=True),
    ).with_columns(n=pl.col("d").str.len_bytes(), zz=pl.col("d").str.starts_with("00"))
    d, n, plus, zz = pl.col("d"), pl.col("n"), pl.col("plus"), pl.col("zz")
    co12 = (n == 12) & d.str.starts_with("57")
    co13 = (n == 13) & d.str.starts_with("057")
    co10 = n == 10
    start = pl.when(plus).then(0).when(zz).then(2).when(co13).then(1).otherwise(0)
    prefix = pl.when(~plus & ~zz & ~co12 & ~co13 & co10).then(pl.lit("+57")).otherwise(pl.lit("+"))
    ok = (plus | zz | co12 | co13 | co10) & (n > start)
    return frame.select(
        pl.when(ok).then(pl.concat_str([prefix, d.str.slice(start)])).alias(values.name)
    ).to_series()


def phone_candidate(value: str) -> str | None:
    """Rule 5 for one value (already undamaged): see `phone_candidates`."""
    kept = re.sub(r"[^0-9+]", "", value)
    plus = kept.startswith("+")
    digits = kept.replace("+", "")
    if plus:
        intl = digits
    elif digits.startswith("00"):
        intl = digits[2:]
    elif len(digits) == 12 and digits.startswith("57"):
        intl = digits
    elif len(digits) == 13 and digits.startswith("057"):
        intl = digits[1:]
    elif len(digits) == 10:
        intl = "57" + digits
    else:
        return None
    return "+" + intl if intl else None


_KIND_BY_TYPE = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed",
}


def classify_phone_exact(candidate: str) -> tuple[str | None, int | None, str]:
    """(E.164, country code, kind) by phonenumbers; kind is mobile, fixed, other or invalid."""
    try:
        number = phonenumbers.parse(candidate, "CO")
    except phonenumbers.NumberParseException:
        return None, None, "invalid"
    if not phonenumbers.is_valid_number(number):
        return None, number.country_code, "invalid"
    kind = _KIND_BY_TYPE.get(phonenumbers.number_type(number), "other")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, number.country_code, kind


def _desc_matches(nsn: pl.Expr, desc: Any) -> pl.Expr:
    """phonenumbers' `_is_number_matching_desc` as a polars expression."""
    if desc is None or not desc.national_number_pattern:
        return pl.lit(False)
    matched = nsn.str.contains(f"^(?:{desc.national_number_pattern})$")
    if desc.possible_length:
        matched = matched & nsn.str.len_bytes().is_in(list(desc.possible_length))
    return matched


def _co_kind_expr(nsn: pl.Expr) -> pl.Expr:
    """phonenumbers' `_number_type_helper` for Colombia, mapped to our kinds."""
    meta = PhoneMetadata.metadata_for_region("CO")
    if meta is None:  # pragma: no cover - phonenumbers always ships CO
        raise RuntimeError("phonenumbers has no metadata for CO")
    others = [
        meta.premium_rate,
        meta.toll_free,
        meta.shared_cost,
        meta.voip,
        meta.personal_number,
        meta.pager,
        meta.uan,
        meta.voicemail,
    ]
    fixed = _desc_matches(nsn, meta.fixed_line)
    mobile = _desc_matches(nsn, meta.mobile)
    same = bool(meta.same_mobile_and_fixed_line_pattern)
    chain: Any = pl.when(~_desc_matches(nsn, meta.general_desc)).then(pl.lit("invalid"))
    for desc in others:
        chain = chain.when(_desc_matches(nsn, desc)).then(pl.lit("other"))
    chain = chain.when(fixed).then(
        pl.lit("mobile")
        if same
        else pl.when(mobile).then(pl.lit("mobile")).otherwise(pl.lit("fixed"))
    )
    if not same:
        chain = chain.when(mobile).then(pl.lit("mobile"))
    return chain.otherwise(pl.lit("invalid"))


def classify_candidates(candidates: pl.Series, *, fast: bool = True) -> pl.DataFrame:
    """Classify distinct E.164 candidates -> columns cand, e164, cc, kind.

    `+57` followed by ten digits (not starting with 0) is decided by the vectorized CO pass;
    everything else by phonenumbers. With fast=False every value goes to phonenumbers."""
    cands = candidates.drop_nulls().unique().alias("cand")
    frame = pl.DataFrame({"cand": cands})
    schema: dict[str, Any] = {
        "cand": pl.String,
        "e164": pl.String,
        "cc": pl.Int32,
        "kind": pl.String,
    }
    if fast:
        is_fast = pl.col("cand").str.contains(_FAST_CO)
        quick = frame.filter(is_fast).with_columns(
            kind=_co_kind_expr(pl.col("cand").str.slice(3)), cc=pl.lit(57, dtype=pl.Int32)
        )
        quick = quick.with_columns(
            e164=pl.when(pl.col("kind") != "invalid").then(pl.col("cand"))
        ).select(list(schema))
        rest = frame.filter(~is_fast)["cand"].to_list()
    else:
        quick = pl.DataFrame(schema=schema)
        rest = frame["cand"].to_list()
    rows = [(c, *classify_phone_exact(c)) for c in rest]
    slow = pl.DataFrame(rows, schema=schema, orient="row")
    quick = quick.cast(pl.Schema(schema))
    return pl.concat([quick, slow]) if rows else quick


def phone_usability(kind: pl.Expr, cc: pl.Expr, abroad: pl.Expr) -> pl.Expr:
    """Rule 5/7: the usable kind of a phone for its row: 'mobile', 'fixed' or null (invalid).

    In Colombia only Colombian numbers count; abroad a valid number of any country does."""
    valid_kind = kind.is_in(["mobile", "fixed"])
    ok = valid_kind & (abroad | (cc == 57))
    return pl.when(ok).then(kind)


# --------------------------------------------------------------------------- rule 6


def normalize_email_expr(expr: pl.Expr) -> pl.Expr:
    """Rule 6: trimmed and lower-cased."""
    return expr.str.strip_chars().str.to_lowercase()


def is_valid_email(value: str) -> bool:
    """Rule 6, exact: email-validator's syntax check, no DNS."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def email_validity(values: pl.Series, *, fast: bool = True) -> pl.DataFrame:
    """Validate distinct (normalized) e-mails -> columns email, valid.

    The pre-pass accepts plain ASCII addresses that email-validator always accepts, and rejects
    values it always rejects (no '@' or several, whitespace, '..', an ASCII domain without a
    period); the rest go to the library."""
    frame = pl.DataFrame({"email": values.drop_nulls().unique()})
    if not fast:
        valid = [is_valid_email(v) for v in frame["email"].to_list()]
        return frame.with_columns(valid=pl.Series(valid, dtype=pl.Boolean))
    email = pl.col("email")
    frame = frame.with_columns(
        domain=email.str.extract(r"@([^@]*)$", 1),
        ats=email.str.count_matches("@", literal=True),
        plain=email.str.contains(_EMAIL_FAST_VALID),
    )
    domain = pl.col("domain")
    special = pl.any_horizontal(
        [(domain == d) | domain.str.ends_with("." + d) for d in _EMAIL_SPECIAL_TLDS]
    )
    sure_valid = (
        pl.col("plain")
        & (email.str.len_bytes() <= 254)
        & ~domain.str.contains("--", literal=True)
        & ~special
    )
    sure_invalid = (
        (pl.col("ats") != 1)
        | email.str.contains(r"\s")
        | email.str.contains("..", literal=True)
        | domain.str.contains(r"^[a-z0-9\-]*$")
    )
    frame = frame.select(
        "email", valid=pl.when(sure_valid).then(True).when(sure_invalid).then(False)
    )
    undecided = frame.filter(pl.col("valid").is_null())["email"].to_list()
    if undecided:
        decided = pl.DataFrame(
            {"email": undecided, "v": [is_valid_email(v) for v in undecided]},
            schema={"email": pl.String, "v": pl.Boolean},
        )
        frame = frame.join(decided, on="email", how="left").select(
            "email", valid=pl.coalesce("valid", "v")
        )
    return frame


# --------------------------------------------------------------------------- rule 7


def is_colombia(value: str | None) -> bool:
    """Rule 7: missing, 'co', 'col' or 'colombia' (any case or accents) is Colombia."""
    if value is None or is_missing(value):
        return True
    return strip_accents(value).strip().lower() in _COLOMBIA_TOKENS


def country_name(value: str | None) -> str:
    """Rule 7: the stored country: 'Colombia' or the given (trimmed) name."""
    return COLOMBIA if is_colombia(value) else str(value).strip()


# --------------------------------------------------------------------------- rule 8


def channel_flags(
    has_mobile: pl.Expr, has_fixed: pl.Expr, has_email: pl.Expr, abroad: pl.Expr
) -> dict[str, pl.Expr]:
    """Rule 5/7/8: which channels reach a row."""
    home = ~abroad
    return {
        "sms": has_mobile & home,
        "whatsapp": has_mobile,
        "email": has_email,
        "voice": (has_mobile | has_fixed) & home,
        "call": (has_mobile | has_fixed) & home,
    }


def parse_channels(channels: Iterable[str] | str | None) -> tuple[str, ...]:
    """Validate a channel list ('sms,email' or an iterable); None means all five."""
    if channels is None:
        return CHANNELS
    items = channels.split(",") if isinstance(channels, str) else list(channels)
    wanted = [c.strip().lower() for c in items if c and c.strip()]
    unknown = [c for c in wanted if c not in CHANNELS]
    if unknown:
        raise BaseFileError(
            "bad_channel",
            f"Canal desconocido: {', '.join(unknown)}. Use: {', '.join(CHANNELS)}.",
        )
    if not wanted:
        return CHANNELS
    return tuple(c for c in CHANNELS if c in wanted)


# --------------------------------------------------------------------------- pipeline


@dataclass(frozen=True)
class CleanResult:
    """Outcome of cleaning: the DESIGN §6 summary, usable contacts, rejected rows."""

    summary: dict[str, Any]
    contacts: pl.DataFrame
    rejects: pl.DataFrame
    mapping: dict[str, str] = field(default_factory=dict)
    channels: tuple[str, ...] = CHANNELS


def _map_unique(series: pl.Series, func: Callable[[str | None], str]) -> pl.Series:
    """Apply a Python function once per distinct value (low-cardinality columns)."""
    uniques = series.unique()
    mapped = pl.Series([func(v) for v in uniques.to_list()], dtype=pl.String)
    return series.replace_strict(uniques, mapped, return_dtype=pl.String)


def empty_summary(encoding: str | None = "utf-8", delimiter: str | None = ",") -> dict[str, Any]:
    """A DESIGN §6 summary with every count at zero."""
    return {
        "rows_total": 0,
        "rows_usable": 0,
        "rows_rejected": 0,
        "rejected": dict.fromkeys(REJECT_CODES, 0),
        "field_issues": {"invalid_phone": 0, "landline_only": 0, "invalid_email": 0},
        "abroad": 0,
        "usable_by_channel": dict.fromkeys(CHANNELS, 0),
        "encoding": encoding,
        "delimiter": delimiter,
    }


def clean_base(
    df: pl.DataFrame,
    mapping: Mapping[str, str] | None = None,
    channels: Iterable[str] | str | None = None,
    *,
    encoding: str | None = "utf-8",
    delimiter: str | None = ",",
    row_numbers: pl.Series | None = None,
) -> CleanResult:
    """Apply rules 1-8 to a DataFrame of strings read from a base.

    `mapping` (header -> field) overrides the proposed one; `channels` are the brief's channels
    (all five when None); `row_numbers` are the file's line numbers (default: index + 2).
    """
    wanted = parse_channels(channels)
    resolved = resolve_mapping(df.columns, mapping)
    n = df.height
    rows = (
        row_numbers.cast(pl.Int64)
        if row_numbers is not None
        else pl.int_range(2, n + 2, eager=True, dtype=pl.Int64)
    )
    # Internal names avoid clashes between headers and computed columns.
    used = [h for h, f in resolved.items() if f != "ignore"]
    alias = {h: f"_c{i}" for i, h in enumerate(used)}
    cols = {fld: [alias[h] for h in used if resolved[h] == fld] for fld in FIELDS}

    work = _mark_rejects(_person_fields(df, used, alias, cols, rows))
    kept = _kept_contacts(
        work,
        phone_cols=[alias[h] for h in used if resolved[h] in PHONE_FIELDS],
        email_cols=cols["email"],
        custom={h: alias[h] for h in used if resolved[h] == "custom"},
        wanted=wanted,
    )
    summary = _summary(work, kept, encoding=encoding, delimiter=delimiter)
    rejects = _rejects_frame(df, rows, work, kept, wanted)
    del work
    contacts = _contacts_frame(kept.filter(pl.col("usable")))
    return CleanResult(summary, contacts, rejects, resolved, wanted)


# The person's columns, as rules 2, 3 and 7 compute them (``abroad`` follows from the country).
_PERSON_COLUMNS = (
    "doc_type",
    "doc_number",
    "first_names",
    "last_names",
    "full_name",
    "country",
    "abroad",
    "city",
    "department",
)


def _person_fields(
    df: pl.DataFrame,
    used: list[str],
    alias: dict[str, str],
    cols: dict[str, list[str]],
    rows: pl.Series,
) -> pl.DataFrame:
    """Rule 1 on every mapped column, then rules 2, 3 and 7 per row: the person's document,
    names and place replace the columns they were read from (``_idx``/``_row`` added)."""
    n = df.height
    work = df.select([missing_to_null(pl.col(h)).alias(alias[h]) for h in used]).with_columns(
        _idx=pl.int_range(0, n, dtype=pl.Int64), _row=rows
    )
    first_names, last_names, full_name = build_names(
        [pl.col(c) for c in cols["first_names"]],
        [pl.col(c) for c in cols["last_names"]],
        [pl.col(c) for c in cols["full_name"]],
    )
    null = pl.lit(None, dtype=pl.String)
    work = work.with_columns(
        doc_type=_map_unique(work[cols["doc_type"][0]], normalize_doc_type)
        if cols["doc_type"]
        else pl.lit("CC"),
        doc_number=normalize_doc_number(pl.col(cols["doc_number"][0]))
        if cols["doc_number"]
        else null,
        first_names=first_names,
        last_names=last_names,
        full_name=full_name,
        country=_map_unique(work[cols["country"][0]], country_name)
        if cols["country"]
        else pl.lit(COLOMBIA),
        city=pl.col(cols["city"][0]) if cols["city"] else null,
        department=pl.col(cols["department"][0]) if cols["department"] else null,
    ).with_columns(abroad=pl.col("country") != COLOMBIA)
    return work.drop([c for fld in _PERSON_COLUMNS for c in cols.get(fld, [])])


def _mark_rejects(work: pl.DataFrame) -> pl.DataFrame:
    """Rules 2-4: ``reason`` is the first failing rule (null for a kept row); duplicates are
    counted among rows passing 2 and 3, ``_group`` is the kept row a row merges into."""
    passing = pl.col("doc_number").is_not_null() & pl.col("full_name").is_not_null()
    key = ["doc_type", "doc_number"]
    return (
        work.with_columns(
            _group=pl.when(passing).then(pl.col("_idx").first().over([*key, passing]))
        )
        .with_columns(
            _kept_row=pl.when(pl.col("_group").is_not_null()).then(
                pl.col("_row").gather(pl.col("_group").fill_null(0))
            )
        )
        .with_columns(
            reason=pl.when(pl.col("doc_number").is_null())
            .then(pl.lit("missing_document"))
            .when(pl.col("full_name").is_null())
            .then(pl.lit("missing_name"))
            .when(pl.col("_group") != pl.col("_idx"))
            .then(pl.lit("duplicate"))
        )
    )


def _kept_contacts(
    work: pl.DataFrame,
    *,
    phone_cols: list[str],
    email_cols: list[str],
    custom: dict[str, str],
    wanted: tuple[str, ...],
) -> pl.DataFrame:
    """Rules 5 and 6 on the kept rows, merging the duplicates' phones and e-mails into them,
    with the channels each row can be reached by (``can_<channel>``, ``usable``)."""
    kept_mask = pl.col("reason").is_null()
    kept_abroad = work.filter(kept_mask).select(_group="_idx", _abroad="abroad")
    phones = _phones(work, phone_cols, kept_abroad)
    emails = _emails(work, email_cols)
    custom_json = (
        pl.struct([pl.col(c).alias(h) for h, c in custom.items()]).struct.json_encode()
        if custom
        else pl.lit("{}")
    )
    kept = (
        work.filter(kept_mask)
        .select("_idx", "_row", *_PERSON_COLUMNS, custom=custom_json)
        .join(phones, left_on="_idx", right_on="_group", how="left")
        .join(emails, left_on="_idx", right_on="_group", how="left")
        .with_columns(
            pl.col("has_mobile", "has_fixed", "has_email", "bad_phone", "bad_email").fill_null(
                False
            )
        )
    )
    flags = channel_flags(
        pl.col("has_mobile"), pl.col("has_fixed"), pl.col("has_email"), pl.col("abroad")
    )
    return kept.with_columns(**{f"can_{c}": e for c, e in flags.items()}).with_columns(
        usable=pl.any_horizontal([pl.col(f"can_{c}") for c in wanted])
    )


def _summary(
    work: pl.DataFrame, kept: pl.DataFrame, *, encoding: str | None, delimiter: str | None
) -> dict[str, Any]:
    """Rule 8 and the DESIGN §6 summary: kept rows with no usable channel are rejected too."""
    counts = kept.select(
        usable=pl.col("usable").sum(),
        invalid_phone=pl.col("bad_phone").sum(),
        landline_only=(pl.col("has_fixed") & ~pl.col("has_mobile")).sum(),
        invalid_email=pl.col("bad_email").sum(),
        abroad=pl.col("abroad").sum(),
        **{c: (pl.col("usable") & pl.col(f"can_{c}")).sum() for c in CHANNELS},
    ).row(0, named=True)
    reason_counts = dict(
        work.filter(pl.col("reason").is_not_null()).group_by("reason").len().iter_rows()
    )
    rejected = {code: int(reason_counts.get(code, 0)) for code in REJECT_CODES}
    rejected["no_valid_contact"] = kept.height - int(counts["usable"] or 0)
    summary = empty_summary(encoding, delimiter)
    summary.update(
        rows_total=work.height,
        rows_usable=int(counts["usable"] or 0),
        rows_rejected=sum(rejected.values()),
        rejected=rejected,
        field_issues={
            "invalid_phone": int(counts["invalid_phone"] or 0),
            "landline_only": int(counts["landline_only"] or 0),
            "invalid_email": int(counts["invalid_email"] or 0),
        },
        abroad=int(counts["abroad"] or 0),
        usable_by_channel={c: int(counts[c] or 0) for c in CHANNELS},
    )
    return summary


_PHONE_LIST = pl.List(pl.Struct({"number": pl.String, "kind": pl.String}))


def _long(work: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """One row per non-null value (column v) of the given columns, for rows passing rules 2-3."""
    sub = work.select("_idx", "_group", *cols).filter(pl.col("_group").is_not_null())
    parts = []
    for j, c in enumerate(cols):
        parts.append(
            sub.select(
                "_idx", "_group", pl.lit(j, dtype=pl.Int32).alias("_col"), pl.col(c).alias("v")
            ).filter(pl.col("v").is_not_null())
        )
    return pl.concat(parts)


def _phones(work: pl.DataFrame, cols: list[str], kept_abroad: pl.DataFrame) -> pl.DataFrame:
    """Per kept row: merged valid phones, first mobile and landline, has_mobile, has_fixed,
    bad_phone (an invalid value of its own)."""
    schema: dict[str, Any] = {
        "_group": pl.Int64,
        "phones": _PHONE_LIST,
        "mobile": pl.String,
        "landline": pl.String,
        "has_mobile": pl.Boolean,
        "has_fixed": pl.Boolean,
        "bad_phone": pl.Boolean,
    }
    if not cols:
        return pl.DataFrame(schema=schema)
    long = _long(work, cols)
    long = long.with_columns(cand=phone_candidates(undo_spreadsheet_damage_series(long["v"])))
    long = long.drop("v")
    classes = classify_candidates(long["cand"])
    long = (
        long.join(classes, on="cand", how="left")
        .drop("cand")
        .join(kept_abroad, on="_group", how="left")
        .with_columns(kind=phone_usability(pl.col("kind"), pl.col("cc"), pl.col("_abroad")))
        .select("_idx", "_group", "_col", "e164", "kind")
    )
    bad = (
        long.filter((pl.col("_idx") == pl.col("_group")) & pl.col("kind").is_null())
        .select("_group")
        .unique()
        .with_columns(bad_phone=pl.lit(True))
    )
    kind = pl.col("kind")
    good = (
        long.filter(kind.is_not_null())
        .sort("_group", "_idx", "_col")
        .unique(subset=["_group", "e164"], keep="first", maintain_order=True)
        .group_by("_group")
        .agg(
            phones=pl.struct(number="e164", kind="kind"),
            mobile=pl.col("e164").filter(kind == "mobile").first(),
            landline=pl.col("e164").filter(kind == "fixed").first(),
            has_mobile=(kind == "mobile").any(),
            has_fixed=(kind == "fixed").any(),
        )
    )
    return good.join(bad, on="_group", how="full", coalesce=True).select(list(schema))


def _emails(work: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Per kept row: merged valid e-mails, has_email, bad_email (an invalid value of its own)."""
    schema: dict[str, Any] = {
        "_group": pl.Int64,
        "emails": pl.List(pl.String),
        "has_email": pl.Boolean,
        "bad_email": pl.Boolean,
    }
    if not cols:
        return pl.DataFrame(schema=schema)
    long = _long(work, cols).with_columns(v=normalize_email_expr(pl.col("v")))
    long = long.join(email_validity(long["v"]).rename({"email": "v"}), on="v", how="left")
    bad = (
        long.filter((pl.col("_idx") == pl.col("_group")) & ~pl.col("valid"))
        .select("_group")
        .unique()
        .with_columns(bad_email=pl.lit(True))
    )
    good = (
        long.filter(pl.col("valid"))
        .sort("_group", "_idx", "_col")
        .unique(subset=["_group", "v"], keep="first", maintain_order=True)
        .group_by("_group")
        .agg(emails=pl.col("v"), has_email=pl.lit(True))
    )
    return good.join(bad, on="_group", how="full", coalesce=True).select(list(schema))


def _contacts_frame(kept: pl.DataFrame) -> pl.DataFrame:
    """Usable rows, normalized for storage, in file order."""
    return kept.sort("_row").select(
        row=pl.col("_row"),
        doc_type="doc_type",
        doc_number="doc_number",
        first_names="first_names",
        last_names="last_names",
        full_name="full_name",
        phones=pl.col("phones").fill_null(pl.lit([], dtype=_PHONE_LIST)),
        mobile="mobile",
        landline="landline",
        emails=pl.col("emails").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        email=pl.col("emails").list.first(),
        country="country",
        abroad="abroad",
        city="city",
        department="department",
        custom="custom",
        **{f"can_{c}": f"can_{c}" for c in CHANNELS},
    )


def _rejects_frame(
    df: pl.DataFrame,
    rows: pl.Series,
    work: pl.DataFrame,
    kept: pl.DataFrame,
    wanted: tuple[str, ...],
) -> pl.DataFrame:
    """Rejected rows with their original values, row number and reason (code + Spanish)."""
    names = ", ".join(CHANNEL_LABELS[c] for c in wanted)
    early = work.filter(pl.col("reason").is_not_null()).select("_idx", "_kept_row", code="reason")
    late = kept.filter(~pl.col("usable")).select(
        "_idx", _kept_row=pl.lit(None, dtype=pl.Int64), code=pl.lit("no_valid_contact")
    )
    reasons = pl.concat([early, late]).sort("_idx")
    message = (
        pl.when(pl.col("code") == "duplicate")
        .then(pl.format("Documento repetido: se conserva la fila {}", pl.col("_kept_row")))
        .when(pl.col("code") == "no_valid_contact")
        .then(pl.lit(f"Sin teléfono ni correo válido para los canales: {names}"))
        .otherwise(pl.col("code").replace_strict(REJECT_REASONS, default=pl.col("code")))
    )
    row_col, code_col, reason_col = _reserved_names(df.columns)
    idx = reasons["_idx"]
    original = df.select(pl.all().gather(idx))
    return pl.concat(
        [
            pl.DataFrame({row_col: rows.gather(idx)}),
            original,
            reasons.select(pl.col("code").alias(code_col), message.alias(reason_col)),
        ],
        how="horizontal",
    )


def _reserved_names(columns: list[str]) -> tuple[str, str, str]:
    names = []
    for name in ("fila", "codigo_motivo", "motivo"):
        while name in columns:
            name = "_" + name
        names.append(name)
    return names[0], names[1], names[2]


def check_file(
    path: str | Path,
    channels: Iterable[str] | str | None = None,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mapping: Mapping[str, str] | None = None,
) -> CleanResult:
    """Read and clean a base file (nothing stored); raises BaseFileError for bad input."""
    wanted = parse_channels(channels)
    read = read_base(path, sheet=sheet, max_bytes=max_bytes)
    return clean_base(
        read.df,
        mapping,
        wanted,
        encoding=read.encoding,
        delimiter=read.delimiter,
        row_numbers=read.row_numbers,
    )
