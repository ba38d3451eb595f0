"""Synthetic Colombian contact bases for tests, demos and benchmarks.

`generate(n, seed)` builds a realistic base of 10 columns with ~5 % duplicated documents,
varied and damaged phone formats (spreadsheet `.0` and `E+09`, +57/0057/57 prefixes,
landlines 60x), bad e-mails, missing values and some people abroad. Same seed, same base.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

HEADERS = (
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
)
DUPLICATE_SHARE = 0.05

FIRST_NAMES = (
    "María",
    "José",
    "Luis",
    "Ana",
    "Juan",
    "Carlos",
    "Andrés",
    "Laura",
    "Daniela",
    "Camila",
    "Valentina",
    "Sofía",
    "Santiago",
    "Sebastián",
    "Alejandro",
    "Diana",
    "Paola",
    "Natalia",
    "Jorge",
    "Andrea",
    "Felipe",
    "Julián",
    "Mónica",
    "Catalina",
    "Esteban",
    "Óscar",
    "Lucía",
    "Martín",
    "Isabel",
    "Héctor",
    "Ángela",
    "Nicolás",
    "Juliana",
    "Manuel",
    "Gloria",
    "Ramón",
)
LAST_NAMES = (
    "Rodríguez",
    "Gómez",
    "González",
    "Martínez",
    "García",
    "López",
    "Hernández",
    "Sánchez",
    "Ramírez",
    "Pérez",
    "Díaz",
    "Muñoz",
    "Rojas",
    "Moreno",
    "Jiménez",
    "Vargas",
    "Castro",
    "Ortiz",
    "Rubio",
    "Suárez",
    "Torres",
    "Quintero",
    "Ospina",
    "Cárdenas",
    "Restrepo",
    "Peña",
    "Gutiérrez",
    "Álvarez",
    "Mejía",
    "Zapata",
    "Cortés",
    "Londoño",
    "Salazar",
    "Valencia",
)
CITIES = (
    ("Bogotá D.C.", "Bogotá D.C."),
    ("Medellín", "Antioquia"),
    ("Cali", "Valle del Cauca"),
    ("Barranquilla", "Atlántico"),
    ("Cartagena", "Bolívar"),
    ("Bucaramanga", "Santander"),
    ("Pereira", "Risaralda"),
    ("Manizales", "Caldas"),
    ("Ibagué", "Tolima"),
    ("Pasto", "Nariño"),
    ("Neiva", "Huila"),
    ("Montería", "Córdoba"),
    ("Villavicencio", "Meta"),
    ("Tunja", "Boyacá"),
    ("Popayán", "Cauca"),
    ("Santa Marta", "Magdalena"),
    ("Cúcuta", "Norte de Santander"),
    ("Armenia", "Quindío"),
)
DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.es", "icetex.gov.co", "une.net.co")
MOBILE_PREFIXES = (
    300,
    301,
    302,
    304,
    305,
    310,
    311,
    312,
    313,
    314,
    315,
    316,
    317,
    318,
    319,
    320,
    321,
    322,
    323,
    350,
    351,
)
LANDLINE_AREAS = (1, 2, 4, 5, 6, 7, 8)
DOC_TYPE_SPELLINGS = (
    # (spelling, weight)
    ("CC", 0.62),
    ("cc", 0.08),
    ("C.C.", 0.05),
    ("Cédula de ciudadanía", 0.04),
    ("", 0.04),
    ("TI", 0.05),
    ("CE", 0.04),
    ("PA", 0.02),
    ("PPT", 0.04),
    ("PEP", 0.02),
)
ABROAD = (
    # (country, e164 prefix, national digits)
    ("España", "+34 6", 8),
    ("Estados Unidos", "+1 305", 7),
    ("México", "+52 1 55", 8),
    ("Venezuela", "+58 412", 7),
    ("Ecuador", "+593 9", 8),
)


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).lower()


def _pick(rng: np.random.Generator, options: tuple, n: int) -> pl.Series:
    return pl.Series(
        np.asarray(options, dtype=object)[rng.integers(0, len(options), n)], dtype=pl.String
    )


def _digits(values: np.ndarray, width: int) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.Int64)).cast(pl.String).str.zfill(width)


def _choice_codes(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def generate(n: int, seed: int = 42) -> pl.DataFrame:
    """A base of `n` rows (strings, headers as in HEADERS); deterministic by seed."""
    rng = np.random.default_rng(seed)
    idx = np.arange(n, dtype=np.int64)

    # Documents: unique by an affine permutation; ~5 % of rows repeat an earlier document.
    offset = int(rng.integers(0, 10_000_000))
    doc = 10_000_000 + (idx * 387_420_489 + offset) % 1_190_000_000
    dup_rows = (
        np.sort(rng.choice(np.arange(1, max(n, 2)), size=int(n * DUPLICATE_SHARE), replace=False))
        if n > 1
        else np.array([], dtype=np.int64)
    )
    src = (rng.random(len(dup_rows)) * dup_rows).astype(np.int64)
    doc_type_code = _choice_codes(rng, n, [w for _, w in DOC_TYPE_SPELLINGS])
    # Follow chains so that a duplicate repeats the (type, number) of a row that stays first.
    root = idx.copy()
    for d, s in zip(dup_rows.tolist(), src.tolist(), strict=True):
        root[d] = root[s]
    doc = doc[root]
    doc_type_code = doc_type_code[root]
    # Keep the same normalized type for duplicates (spellings of CC are interchangeable).
    cc_like = doc_type_code <= 4
    doc_type_code = np.where(cc_like, rng.integers(0, 5, n), doc_type_code)

    spell = np.asarray([s for s, _ in DOC_TYPE_SPELLINGS], dtype=object)
    first_a = rng.integers(0, len(FIRST_NAMES), n)
    first_b = rng.integers(0, len(FIRST_NAMES), n)
    last_a = rng.integers(0, len(LAST_NAMES), n)
    last_b = rng.integers(0, len(LAST_NAMES), n)
    two_first = rng.random(n) < 0.45
    city = rng.integers(0, len(CITIES), n)
    abroad_code = np.where(rng.random(n) < 0.02, rng.integers(0, len(ABROAD), n), -1)

    u = rng.random((8, n))
    frame = pl.DataFrame(
        {
            "doc_type": pl.Series(spell[doc_type_code], dtype=pl.String),
            "doc": pl.Series(doc, dtype=pl.Int64),
            "fa": pl.Series(np.asarray(FIRST_NAMES, dtype=object)[first_a], dtype=pl.String),
            "fb": pl.Series(np.asarray(FIRST_NAMES, dtype=object)[first_b], dtype=pl.String),
            "la": pl.Series(np.asarray(LAST_NAMES, dtype=object)[last_a], dtype=pl.String),
            "lb": pl.Series(np.asarray(LAST_NAMES, dtype=object)[last_b], dtype=pl.String),
            "fa_ascii": pl.Series([_ascii(x) for x in FIRST_NAMES], dtype=pl.String).gather(
                first_a
            ),
            "la_ascii": pl.Series([_ascii(x) for x in LAST_NAMES], dtype=pl.String).gather(last_a),
            "two_first": two_first,
            "city": pl.Series([c for c, _ in CITIES], dtype=pl.String).gather(city),
            "dept": pl.Series([d for _, d in CITIES], dtype=pl.String).gather(city),
            "abroad": abroad_code,
            "mob_prefix": np.asarray(MOBILE_PREFIXES)[rng.integers(0, len(MOBILE_PREFIXES), n)],
            "mob_rest": rng.integers(0, 10_000_000, n),
            "land_area": np.asarray(LANDLINE_AREAS)[rng.integers(0, len(LANDLINE_AREAS), n)],
            "land_rest": rng.integers(2_000_000, 9_999_999, n),
            "foreign_rest": rng.integers(10_000_000, 99_999_999, n),
            "mail_num": rng.integers(0, 1000, n),
            "domain": _pick(rng, DOMAINS, n),
            "u0": u[0],
            "u1": u[1],
            "u2": u[2],
            "u3": u[3],
            "u4": u[4],
            "u5": u[5],
            "u6": u[6],
            "u7": u[7],
        }
    )
    out = frame.select(_columns()).with_columns(pl.when(pl.all() != "").then(pl.all()).name.keep())
    return out.rename(dict(zip(_COLUMN_KEYS, HEADERS, strict=True)))


_COLUMN_KEYS = (
    "doc_type",
    "doc",
    "names",
    "surnames",
    "mobile",
    "landline",
    "email",
    "country",
    "city",
    "dept",
)


def _columns() -> list[pl.Expr]:
    u0, u1, u2, u3, u4, u5, u6, u7 = (pl.col(f"u{i}") for i in range(8))
    doc = pl.col("doc").cast(pl.String)
    dotted = (
        doc.str.reverse().str.replace_all(r"(\d{3})", "$1.").str.reverse().str.strip_prefix(".")
    )
    doc_text = (
        pl.when(u0 < 0.003)
        .then(pl.lit(""))
        .when(u0 < 0.004)
        .then(pl.lit("N/A"))
        .when(u0 < 0.006)
        .then(doc.str.slice(0, 3))
        .when(u0 < 0.10)
        .then(dotted)
        .when(u0 < 0.12)
        .then(pl.concat_str([pl.lit(" "), doc, pl.lit(" ")]))
        .otherwise(doc)
    )
    names = (
        pl.when(u1 < 0.003)
        .then(pl.lit(""))
        .when(pl.col("two_first"))
        .then(pl.concat_str(["fa", "fb"], separator=" "))
        .otherwise(pl.col("fa"))
    )
    surnames = (
        pl.when(u1 < 0.004).then(pl.lit("")).otherwise(pl.concat_str(["la", "lb"], separator=" "))
    )
    ten = pl.concat_str(
        [pl.col("mob_prefix").cast(pl.String), pl.col("mob_rest").cast(pl.String).str.zfill(7)]
    )
    abroad = pl.col("abroad") >= 0
    foreign = pl.concat_str(
        [
            pl.col("abroad").replace_strict(
                list(range(len(ABROAD))), [p for _, p, _ in ABROAD], return_dtype=pl.String
            ),
            pl.lit(" "),
            pl.col("foreign_rest")
            .cast(pl.String)
            .str.slice(
                0,
                pl.col("abroad").replace_strict(
                    list(range(len(ABROAD))), [d for _, _, d in ABROAD], return_dtype=pl.Int64
                ),
            ),
        ]
    )
    mobile = (
        pl.when(abroad & (u2 < 0.8))
        .then(foreign)
        .when(u2 < 0.07)
        .then(pl.lit(""))
        .when(u2 < 0.08)
        .then(pl.lit("0"))
        .when(u2 < 0.11)
        .then(
            pl.concat_str(
                [
                    ten.str.slice(0, 3),
                    pl.lit(" "),
                    ten.str.slice(3, 3),
                    pl.lit(" "),
                    ten.str.slice(6),
                ]
            )
        )
        .when(u2 < 0.19)
        .then(pl.concat_str([pl.lit("+57 "), ten]))
        .when(u2 < 0.24)
        .then(pl.concat_str([pl.lit("57"), ten]))
        .when(u2 < 0.27)
        .then(pl.concat_str([pl.lit("0057 "), ten]))
        .when(u2 < 0.28)
        .then(pl.concat_str([pl.lit("057"), ten]))
        .when(u2 < 0.33)
        .then(pl.concat_str([ten, pl.lit(".0")]))
        .when(u2 < 0.36)
        .then(pl.concat_str([ten.str.slice(0, 1), pl.lit("."), ten.str.slice(1), pl.lit("E+09")]))
        .when(u2 < 0.40)
        .then(
            pl.concat_str(
                [
                    pl.lit("("),
                    ten.str.slice(0, 3),
                    pl.lit(") "),
                    ten.str.slice(3, 3),
                    pl.lit("-"),
                    ten.str.slice(6),
                ]
            )
        )
        .when(u2 < 0.43)
        .then(ten.str.slice(0, 7))
        .otherwise(ten)
    )
    land = pl.concat_str(
        [pl.lit("60"), pl.col("land_area").cast(pl.String), pl.col("land_rest").cast(pl.String)]
    )
    landline = (
        pl.when(u3 < 0.55)
        .then(pl.lit(""))
        .when(u3 < 0.62)
        .then(pl.col("land_rest").cast(pl.String))
        .when(u3 < 0.70)
        .then(
            pl.concat_str(
                [
                    pl.lit("(60"),
                    pl.col("land_area").cast(pl.String),
                    pl.lit(") "),
                    pl.col("land_rest").cast(pl.String),
                ]
            )
        )
        .when(u3 < 0.74)
        .then(pl.concat_str([pl.lit("+57 "), land]))
        .otherwise(land)
    )
    local = pl.concat_str(
        [
            pl.col("fa_ascii"),
            pl.lit("."),
            pl.col("la_ascii"),
            pl.when(u4 < 0.6).then(pl.col("mail_num").cast(pl.String)).otherwise(pl.lit("")),
        ]
    )
    email = (
        pl.when(u5 < 0.08)
        .then(pl.lit(""))
        .when(u5 < 0.09)
        .then(pl.lit("sin dato"))
        .when(u5 < 0.105)
        .then(pl.concat_str([local, pl.lit("@"), pl.col("domain").str.split(".").list.first()]))
        .when(u5 < 0.12)
        .then(pl.concat_str([local, pl.lit("."), pl.col("domain")]))
        .when(u5 < 0.13)
        .then(pl.concat_str([local, pl.lit("@@"), pl.col("domain")]))
        .when(u5 < 0.14)
        .then(pl.concat_str([local, pl.lit(" @"), pl.col("domain")]))
        .when(u5 < 0.20)
        .then(pl.concat_str([local, pl.lit("@"), pl.col("domain")]).str.to_uppercase())
        .otherwise(pl.concat_str([local, pl.lit("@"), pl.col("domain")]))
    )
    country = (
        pl.when(abroad)
        .then(
            pl.col("abroad").replace_strict(
                list(range(len(ABROAD))), [c for c, _, _ in ABROAD], return_dtype=pl.String
            )
        )
        .when(u6 < 0.03)
        .then(pl.lit("Colombia"))
        .when(u6 < 0.04)
        .then(pl.lit("COL"))
        .otherwise(pl.lit(""))
    )
    city = pl.when(abroad | (u7 < 0.05)).then(pl.lit("")).otherwise(pl.col("city"))
    dept = pl.when(abroad | (u7 < 0.07)).then(pl.lit("")).otherwise(pl.col("dept"))
    exprs = [
        pl.col("doc_type"),
        doc_text,
        names,
        surnames,
        mobile,
        landline,
        email,
        country,
        city,
        dept,
    ]
    return [e.alias(k) for e, k in zip(exprs, _COLUMN_KEYS, strict=True)]


def write_csv(path: str | Path, n: int, seed: int = 42, *, separator: str = ",") -> Path:
    """Generate a base and write it as UTF-8 CSV; returns the path."""
    path = Path(path)
    generate(n, seed).write_csv(path, separator=separator)
    return path
