"""Domain messages go through gettext, like the templates (tests/test_i18n_templates.py).

Two AST scans keep new code to the rule:

* everywhere in ``brief/``, the message given to a domain error (``Refusal``, ``Invalid``,
  ``Conflict``, ``Forbidden``, ``DomainError``, ``ValidationError``, ``PermissionDenied``) or put
  under a ``"message"`` key is never a bare string literal or f-string: it is ``gettext(...)``
  (or ``_``/``gettext_lazy``) of a literal, with ``%(name)s`` placeholders filled in *after*
  the lookup, so it can be extracted and found in a catalog;
* in ``brief/*/actions.py`` no sentence (three words or more) is left outside gettext at all
  (log messages aside: they are for operators, in English).

Then the way a refusal travels: the API answers with the Spanish source text under the
project's language (``es-co``: there is no ``es`` catalog, the msgids are the Spanish text; see
README "Languages"), and with a catalog for another language the same refusal, its action label
and its state name arrive translated.

``brief/dispatch/peers/`` is left out: those are stand-ins for the providers' servers and answer
in the providers' own words.
"""

from __future__ import annotations

import ast
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from brief.campaigns.choices import Status

ROOT = Path(__file__).resolve().parents[1] / "brief"

LOGGING = {"debug", "info", "warning", "error", "exception", "critical", "log"}
GETTEXT = {"gettext", "gettext_lazy", "gettext_noop", "_", "ngettext", "ngettext_lazy", "pgettext"}
ERRORS = {
    "DomainError",
    "Refusal",
    "Invalid",
    "Conflict",
    "Forbidden",
    "ValidationError",
    "PermissionDenied",
}
_WORD = r"[^\W\d_]+"
_PUNCT = "[,.;:¿?¡!«»()]*"
# Three words or more, separated by spaces (a dotted path or an identifier is not a sentence).
_SENTENCE = re.compile(rf"{_WORD}(?:{_PUNCT}\s+{_PUNCT}{_WORD}){{2,}}")


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(node: ast.expr | None) -> bool:
    """A bare string (or f-string, or a concatenation/format of one): not translated."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(re.search(_WORD, node.value))
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or (isinstance(node.op, ast.Add) and _literal(node.right))
    return False


def untranslated_messages(source: str) -> list[str]:
    """Messages of domain errors and ``"message"`` entries given as bare literals."""
    found = []
    for node in ast.walk(ast.parse(source)):
        candidates: list[ast.expr | None] = []
        if isinstance(node, ast.Call) and _name(node.func) in ERRORS:
            candidates = [node.args[0] if node.args else None]
            candidates += [k.value for k in node.keywords if k.arg == "message"]
        elif isinstance(node, ast.Dict):
            candidates = [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "message"
            ]
        found += [f"{c.lineno}: {ast.unparse(c)[:80]}" for c in candidates if _literal(c)]
    return found


def formatted_before_gettext(source: str) -> list[str]:
    """gettext calls whose text is built before the lookup (f-string, ``%``, ``+``, ``.format``):
    such a text is never in a catalog, so it is never translated nor extracted."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node.func) in GETTEXT and node.args:
            text = node.args[0]
            built = isinstance(text, (ast.JoinedStr, ast.BinOp)) or (
                isinstance(text, ast.Call) and _name(text.func) == "format"
            )
            if built:
                found.append(f"{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def untranslated_sentences(source: str) -> list[tuple[int, str]]:
    """String literals holding a sentence, outside gettext calls and docstrings."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (
            _name(node.func) in GETTEXT
            or (isinstance(node.func, ast.Attribute) and node.func.attr in LOGGING)
        ):
            skip |= {id(n) for n in ast.walk(node)}
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # docstrings
        elif isinstance(node, ast.FormattedValue) and node.format_spec:
            skip |= {id(n) for n in ast.walk(node.format_spec)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and _SENTENCE.search(node.value)
    ]


def _modules() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("*.py") if "migrations" not in p.parts and "peers" not in p.parts
    )


def test_the_scans_see_a_bare_message_and_pass_a_translated_one():
    bare = (
        'raise Invalid("Escriba la pregunta.", field="text")\n'
        'raise Conflict(f"El brief {code} cambió mientras tanto.")\n'
        'raise Forbidden(message="No tiene acceso.")\n'
        'problems.append({"code": "x", "message": "Falta el objetivo."})\n'
    )
    assert [m.split(":")[0] for m in untranslated_messages(bare)] == ["1", "2", "3", "4"]
    translated = (
        'raise Invalid(gettext("Escriba la pregunta."), field="text")\n'
        'raise Conflict(gettext("El brief %(code)s cambió.") % {"code": code})\n'
        'raise Forbidden(_("No tiene acceso."))\n'
        'problems.append({"code": "x", "message": message})\n'
        'raise ValueError("not a user message")\n'
    )
    assert untranslated_messages(translated) == []
    assert formatted_before_gettext(
        'gettext(f"El brief {code} cambió.")\n'
        'gettext("El brief %(code)s cambió." % {"code": code})\n'
        'gettext("El brief %(code)s cambió.") % {"code": code}\n'
        "_(CHANNEL_LABELS[channel])\n"
    ) == [
        "1: gettext(f'El brief {code} cambió.')",
        "2: gettext('El brief %(code)s cambió.' % {'code': code})",
    ]
    assert untranslated_sentences('add("x", "Elija al menos un canal.")') == [
        (1, "Elija al menos un canal.")
    ]
    assert untranslated_sentences('add("x", gettext("Elija al menos un canal."))') == []
    assert untranslated_sentences('f"{today:%d/%m/%Y}"; "status__in"; "BRF-2026"') == []
    assert untranslated_sentences('log.info("import of base %s failed", pk)') == []


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_error_messages_go_through_gettext(path: Path):
    source = path.read_text(encoding="utf-8")
    assert untranslated_messages(source) == []
    assert formatted_before_gettext(source) == []


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("*/actions.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_actions_have_no_sentence_outside_gettext(path: Path):
    assert untranslated_sentences(path.read_text(encoding="utf-8")) == []


# --- the refusal in the API ------------------------------------------------------------------

SPANISH = "No se puede «iniciar verificación» un brief en estado «Borrador»."
ENGLISH = {
    "No se puede «%(label)s» un brief en estado «%(status)s».": (
        "Cannot «%(label)s» a brief in state «%(status)s»."
    ),
    "Iniciar verificación": "Start review",
    "Borrador": "Draft",
}


def write_mo(path: Path, messages: dict[str, str]) -> None:
    """A GNU ``.mo`` catalog of ``messages`` (UTF-8), so no gettext tools are needed."""
    header = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"
    entries = sorted({"": header, **messages}.items())
    ids = [k.encode() for k, _ in entries]
    strs = [v.encode() for _, v in entries]
    start = 28 + 16 * len(entries)  # header, then the two tables of (length, offset)
    table, data = [], b""
    for blob in ids + strs:
        table.append((len(blob), start + len(data)))
        data += blob + b"\0"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        struct.pack("<7I", 0x950412DE, 0, len(entries), 28, 28 + 8 * len(entries), 0, 0)
        + b"".join(struct.pack("<2I", *pair) for pair in table)
        + data
    )


def start_review_of_a_draft(api, make_brief, analista, **headers):
    draft = make_brief(Status.DRAFT)
    return api.as_user(analista).post(
        f"/api/v1/briefs/{draft.code}/start_review/", {}, format="json", **headers
    )


def test_a_refusal_reaches_the_api_as_the_spanish_source_text(api, make_brief, analista):
    # given the project's language
    assert settings.LANGUAGE_CODE == "es-co"
    # when OCM starts the review of a draft
    response = start_review_of_a_draft(api, make_brief, analista)
    # then the 409 carries the Spanish reason, placeholders filled in
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"code": "invalid_state", "message": SPANISH, "field": None}
    ]


def test_a_refusal_reaches_the_api_translated_when_a_catalog_exists(
    api, make_brief, analista, tmp_path
):
    # given an English catalog for the refusal, the action label and the state
    write_mo(tmp_path / "en" / "LC_MESSAGES" / "django.mo", ENGLISH)
    with override_settings(
        LOCALE_PATHS=[tmp_path], LANGUAGES=[("es", "Español"), ("en", "English")]
    ):
        # when a client asking for English hits the same refusal
        response = start_review_of_a_draft(api, make_brief, analista, HTTP_ACCEPT_LANGUAGE="en")
    # then every part of the message went through gettext
    assert response.status_code == 409
    assert response.json()["errors"][0]["message"] == (
        "Cannot «start review» a brief in state «Draft»."
    )
