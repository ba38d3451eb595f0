"""Survey answers of an interaction, checked against the questions of the brief's call script.

The questions come from the call templates' ``script_sections`` (``{key, text, kind, options,
required}``); once the exit is approved those templates are frozen, so an interaction is checked
against exactly the script that was approved. Every write path of an interaction (API,
workbench, import) goes through ``actions._clean_interaction``, which calls
:func:`clean_answers`.

Stored values, one per question key (an empty value means "not answered" and is dropped):

======== ======================================================================
kind     value
======== ======================================================================
text     the text, trimmed (at most ``MAX_TEXT`` characters)
yes_no   ``true`` / ``false`` (also read from «sí», «si», «no», «1», «0»…)
choice   the option exactly as the script spells it (matched ignoring case)
number   an int, or a float (``3,5`` and ``3.5`` both read as 3.5)
date     ``YYYY-MM-DD`` (also read from ``DD/MM/YYYY``)
nps      an int from 0 to 10
csat     an int from 1 to 5
======== ======================================================================

Required questions: a question is required unless the script says ``required: false``, and
required questions must be answered when the interaction's typification is **effective**
(objective met). Not when it merely counts as a (right-party) contact: the default tree's
right-party contacts include a refusal to answer, «call me later» and «do not call», and an
advisor must be able to typify those without inventing answers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.utils.translation import gettext

from brief.campaigns.choices import Channel
from brief.campaigns.models import Brief
from brief.content.choices import QuestionKind
from brief.content.models import Template

MAX_TEXT = 2000
# The scale of the rating kinds: (lowest, highest).
SCALES: dict[str, tuple[int, int]] = {QuestionKind.NPS: (0, 10), QuestionKind.CSAT: (1, 5)}
YES = frozenset({"si", "sí", "s", "yes", "y", "true", "1", "verdadero"})
NO = frozenset({"no", "n", "false", "0", "falso"})
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def script_questions(brief: Brief) -> list[dict]:
    """The questions of the brief's call script, in script order (the first of a repeated key
    wins). The frozen call templates when there are any (what the exit approval froze), else the
    brief's current ones (a brief still being prepared)."""
    templates = list(Template.objects.filter(brief=brief, channel=Channel.CALL).order_by("id"))
    if any(t.frozen_at for t in templates):
        templates = [t for t in templates if t.frozen_at]
    out: dict[str, dict] = {}
    for template in templates:
        for section in template.script_sections or []:
            for question in section.get("questions") or []:
                key = str(question.get("key") or "")
                if key and key not in out:
                    out[key] = {
                        "key": key,
                        "text": str(question.get("text") or ""),
                        "kind": question.get("kind") or QuestionKind.TEXT,
                        "options": list(question.get("options") or []),
                        "required": bool(question.get("required", True)),
                    }
    return list(out.values())


def _err(message: str, key: str, code: str = "invalid_answer") -> dict:
    return {"code": code, "message": message, "field": key}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,6}", value.strip()):
        return int(value.strip())
    return None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        if not NUMBER.match(text):
            return None
        number = float(text)
    else:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _date(value: Any) -> str | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    text = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def clean_value(question: dict, value: Any) -> tuple[Any, str | None]:
    """``(stored value, None)`` or ``(None, Spanish error)`` for one non-blank answer."""
    kind, key = question["kind"], question["key"]
    if kind == QuestionKind.TEXT:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return None, gettext("La respuesta a «%(key)s» debe ser un texto.") % {"key": key}
        text = str(value).strip()
        if len(text) > MAX_TEXT:
            return None, gettext("La respuesta a «%(key)s» admite máximo %(max)s caracteres.") % {
                "key": key,
                "max": MAX_TEXT,
            }
        return text, None
    if kind == QuestionKind.YES_NO:
        if isinstance(value, bool):
            return value, None
        word = str(value).strip().lower() if isinstance(value, str | int) else ""
        if word in YES:
            return True, None
        if word in NO:
            return False, None
        return None, gettext("La respuesta a «%(key)s» es sí o no.") % {"key": key}
    if kind == QuestionKind.CHOICE:
        options = {str(o).strip().lower(): o for o in question["options"]}
        chosen = options.get(str(value).strip().lower()) if isinstance(value, str | int) else None
        if chosen is None:
            return None, gettext("«%(value)s» no es una opción de «%(key)s»: %(options)s.") % {
                "value": str(value)[:80],
                "key": key,
                "options": " / ".join(question["options"]),
            }
        return chosen, None
    if kind == QuestionKind.NUMBER:
        number = _number(value)
        if number is None:
            return None, gettext("La respuesta a «%(key)s» debe ser un número.") % {"key": key}
        return number, None
    if kind == QuestionKind.DATE:
        day = _date(value)
        if day is None:
            return None, gettext(
                "La respuesta a «%(key)s» debe ser una fecha (AAAA-MM-DD o DD/MM/AAAA)."
            ) % {"key": key}
        return day, None
    if kind in SCALES:
        low, high = SCALES[kind]
        score = _integer(value)
        if score is None or not low <= score <= high:
            return None, gettext(
                "La respuesta a «%(key)s» es un número entero de %(low)s a %(high)s."
            ) % {"key": key, "low": low, "high": high}
        return score, None
    return None, gettext("La pregunta «%(key)s» tiene un tipo desconocido.") % {"key": key}


def clean_answers(
    brief: Brief,
    answers: Any,
    *,
    require: bool = False,
    questions: list[dict] | None = None,
) -> tuple[dict, list[dict]]:
    """Check ``answers`` (``{question key: value}``) against the brief's call script.

    Returns ``(clean answers, errors)``; each error is ``{code, message, field}`` with the
    question's key as ``field`` (``answers`` when the whole value is not an object). Blank
    answers are dropped. ``require``: every required question must be answered (the caller
    passes it when the typification is effective, see the module docstring).
    """
    if not isinstance(answers, dict):
        message = gettext("Las respuestas van como un objeto {pregunta: respuesta}.")
        return {}, [_err(message, "answers", "invalid")]
    if questions is None:
        questions = script_questions(brief)
    by_key = {q["key"]: q for q in questions}
    clean: dict[str, Any] = {}
    errors: list[dict] = []
    for key, value in answers.items():
        question = by_key.get(str(key))
        if question is None:
            message = gettext("«%(key)s» no es una pregunta del guion de este brief.") % {
                "key": str(key)[:80]
            }
            errors.append(_err(message, str(key)[:80], "unknown_question"))
            continue
        if _blank(value):
            continue
        stored, problem = clean_value(question, value)
        if problem:
            errors.append(_err(problem, question["key"]))
        else:
            clean[question["key"]] = stored
    if require:
        answered = set(clean) | {e["field"] for e in errors}
        for question in questions:
            if question["required"] and question["key"] not in answered:
                message = gettext(
                    "Responda «%(text)s»: la tipificación es efectiva y la pregunta es obligatoria."
                ) % {"text": question["text"] or question["key"]}
                errors.append(_err(message, question["key"], "required"))
    return clean, errors
