"""UI text goes through Django's translation machinery (issue 2).

A plain scan of the templates of core, accounts and campaigns: once template tags and
variables, HTML tags and <style>/<script> bodies are removed, no run of four or more words
may remain between two HTML tags; such text belongs inside {% translate %} or
{% blocktranslate %}.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "brief"
TEMPLATE_DIRS = [
    ROOT / "core" / "templates",
    ROOT / "accounts" / "templates",
    ROOT / "campaigns" / "templates",
]

_RAW = re.compile(r"<(style|script)\b.*?</\1\s*>", re.S | re.I)
_BLOCKTRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S
)
_TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_HTML_TAG = re.compile(r"<[^>]*>")
_WORD = r"[^\W\d_]+"
# Four or more words in a row, separated by spaces or ordinary sentence punctuation.
_RUN = re.compile(rf"{_WORD}(?:[\s,.;:¿?¡!«»()]+{_WORD}){{3,}}")


def untranslated_runs(source: str) -> list[str]:
    """Runs of 4+ words left in ``source`` outside translation tags."""
    text = _RAW.sub(" ", source)
    text = _BLOCKTRANSLATE.sub(" ", text)
    text = _TEMPLATE_SYNTAX.sub(" ", text)
    text = _HTML_TAG.sub("\n|\n", text)  # an element boundary ends a run
    return [" ".join(m.group().split()) for m in _RUN.finditer(text)]


def _templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_scanner_finds_literal_text_and_ignores_translated_text():
    assert untranslated_runs("<p>No hay briefs para mostrar.</p>") == ["No hay briefs para mostrar"]
    assert untranslated_runs('<p>{% translate "No hay briefs para mostrar." %}</p>') == []
    assert (
        untranslated_runs(
            "<p>{% blocktranslate with n=x.y %}Página {{ n }} de todas "
            "las páginas{% endblocktranslate %}</p>"
        )
        == []
    )
    assert untranslated_runs("<style>.a b c d { margin: 0 }</style><b>Hola</b>") == []


def test_templates_are_found():
    names = {p.name for p in _templates()}
    assert {"base.html", "login.html", "brief_detail.html"} <= names


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_translatable(path: Path):
    assert untranslated_runs(path.read_text(encoding="utf-8")) == []
