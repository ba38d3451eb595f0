"""UI text goes through Django's translation machinery, in every app's templates.

A plain scan of the templates: once <style>/<script> bodies,
{% blocktranslate %} blocks and the other template tags and variables are removed, no run of
four or more words may remain, neither between two HTML tags nor in a user-visible attribute
(title, aria-label, placeholder, alt, hx-confirm). Such text belongs inside {% translate %} or
{% blocktranslate %}.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "brief"
TEMPLATE_DIRS = sorted(ROOT.glob("*/templates"))

_RAW = re.compile(r"<(style|script)\b.*?</\1\s*>", re.S | re.I)
_BLOCKTRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S
)
_TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_ATTRIBUTE = re.compile(
    r"""\s(?:title|aria-label|placeholder|alt|hx-confirm)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I
)
_HTML_TAG = re.compile(r"<[^>]*>")
_WORD = r"[^\W\d_]+"
# Four or more words in a row, separated by spaces or ordinary sentence punctuation.
_RUN = re.compile(rf"{_WORD}(?:[\s,.;:¿?¡!«»()]+{_WORD}){{3,}}")


def untranslated_runs(source: str) -> list[str]:
    """Runs of 4+ words left in ``source`` outside translation tags."""
    text = _RAW.sub(" ", source)
    text = _BLOCKTRANSLATE.sub(" ", text)
    text = _TEMPLATE_SYNTAX.sub(" ", text)
    chunks = [m.group(1) or m.group(2) or "" for m in _ATTRIBUTE.finditer(text)]
    chunks.append(_HTML_TAG.sub("\n|\n", text))  # an element boundary ends a run
    return [" ".join(m.group().split()) for chunk in chunks for m in _RUN.finditer(chunk)]


def _templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_scanner_finds_literal_text_and_ignores_translated_text():
    assert untranslated_runs("<p>No hay exclusiones con estos filtros.</p>") == [
        "No hay exclusiones con estos filtros"
    ]
    assert untranslated_runs('<p>{% translate "No hay exclusiones con estos filtros." %}</p>') == []
    assert (
        untranslated_runs(
            "<p>{% blocktranslate count n=x|length %}{{ n }} mensaje en estado desconocido"
            "{% plural %}{{ n }} mensajes en estado desconocido{% endblocktranslate %}</p>"
        )
        == []
    )
    assert untranslated_runs('<form hx-confirm="¿Cancelar la importación ahora?">') == [
        "Cancelar la importación ahora"
    ]
    assert untranslated_runs('<div aria-label="{% translate "Avance de la importación" %}">') == []
    assert untranslated_runs("<style>.a b c d { margin: 0 }</style><b>Hola</b>") == []
    # Short labels and technical values are not runs.
    assert untranslated_runs('<th title="SHA-256 {{ sha }}">N.º</th><td>{{ n }} %</td>') == []


def test_templates_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in _templates()}
    assert {
        "contacts/templates/contacts/base_list.html",
        "content/templates/content/editor.html",
        "dispatch/templates/dispatch/partials/sweep_live.html",
        "core/templates/base.html",
        "campaigns/templates/campaigns/brief_detail.html",
        "accounts/templates/accounts/login.html",
    } <= names


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_translatable(path: Path):
    assert untranslated_runs(path.read_text(encoding="utf-8")) == []
