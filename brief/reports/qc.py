"""The monthly random-sample QC (§6 «informe de muestreo»): how big the sample is, how it is
drawn (reproducibly, from a stored seed) and the results report.

Size: ``n0 = z²·p(1−p)/e²`` with z = 1.96 (95 % confidence), p = 0.5 (the most cautious
proportion) and e = 0.05 (±5 %), then the finite-population correction
``n = n0 / (1 + (n0 − 1)/N)``, rounded up and never more than N (:func:`sample_size`).

Population: the month's campaigns (``monthly.campaigns_of_month``) and the interactions that
started in the month, each ordered by primary key and cut at the highest primary key seen when
the sample was drawn (stored), so rows added later do not change a re-draw. Draw:
``random.Random(seed)`` samples the briefs, then the interactions; :func:`redraw` repeats it
from the stored seed and gives the same items.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext

from brief.calls import figures
from brief.calls.choices import RECORDED_CHANNELS, RecordingKind
from brief.calls.models import Interaction, Recording
from brief.campaigns.models import Brief

from . import monthly
from .choices import CHECKLIST, Answer, ItemKind
from .models import QualityItem, QualitySample

Z = 1.96
P = 0.5
E = 0.05
REQUIRED_RECORDINGS: frozenset[str] = frozenset({RecordingKind.AUDIO, RecordingKind.SCREEN})


def sample_size(population: int, *, z: float = Z, p: float = P, e: float = E) -> int:
    """The sample size for a population of ``population`` (module docstring)."""
    if population <= 0:
        return 0
    n0 = z * z * p * (1 - p) / (e * e)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def formula_text(briefs: int, interactions: int) -> str:
    """The formula and its numbers, as shown on the page and stored with the sample."""
    n0 = Z * Z * P * (1 - P) / (E * E)
    lines = [
        gettext(
            "n0 = z²·p(1−p)/e² con z = %(z)s (95 %% de confianza), p = %(p)s, e = %(e)s "
            "(±5 %%): n0 = %(n0)s."
        )
        % {"z": Z, "p": P, "e": E, "n0": f"{n0:.2f}"},
        gettext(
            "Corrección por población finita: n = n0 / (1 + (n0 − 1)/N), redondeado hacia "
            "arriba y como máximo N."
        ),
    ]
    for label, size in ((gettext("Campañas"), briefs), (gettext("Interacciones"), interactions)):
        lines.append(
            gettext("%(label)s: N = %(N)s → n = %(n)s.")
            % {"label": label, "N": size, "n": sample_size(size)}
        )
    return "\n".join(lines)


def brief_population(month: dt.date) -> QuerySet[Brief]:
    return monthly.campaigns_of_month(month).order_by("pk")


def interaction_population(month: dt.date) -> QuerySet[Interaction]:
    start, end = monthly.bounds(month)
    return Interaction.objects.filter(started_at__gte=start, started_at__lt=end).order_by("pk")


def _choose(seed: int, briefs: list[int], interactions: list[int]) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    chosen = [
        (ItemKind.BRIEF.value, pk) for pk in sorted(rng.sample(briefs, sample_size(len(briefs))))
    ]
    chosen += [
        (ItemKind.INTERACTION.value, pk)
        for pk in sorted(rng.sample(interactions, sample_size(len(interactions))))
    ]
    return chosen


def _ids(qs: QuerySet, max_id: int | None) -> list[int]:
    if max_id is not None:
        qs = qs.filter(pk__lte=max_id)
    return list(qs.values_list("pk", flat=True))


def recordings_prefill(interaction_ids: list[int]) -> dict[int, dict[str, str]]:
    """«Grabaciones presentes» for each interaction from what the contact center stored: a
    recorded channel (calls) needs its audio and screen recordings; other channels have none
    to check (``na``)."""
    kinds: dict[int, set[str]] = {}
    for pk, kind in Recording.objects.filter(interaction_id__in=interaction_ids).values_list(
        "interaction_id", "kind"
    ):
        kinds.setdefault(pk, set()).add(kind)
    out = {}
    for pk, channel in Interaction.objects.filter(pk__in=interaction_ids).values_list(
        "pk", "channel"
    ):
        have = kinds.get(pk, set())
        if channel not in RECORDED_CHANNELS:
            out[pk] = {"value": Answer.NA.value, "comment": gettext("Canal sin grabación.")}
            continue
        missing = [str(RecordingKind(k).label) for k in sorted(REQUIRED_RECORDINGS - have)]
        out[pk] = {
            "value": Answer.NO.value if missing else Answer.YES.value,
            "comment": (gettext("Falta: %(what)s.") % {"what": ", ".join(missing)})
            if missing
            else gettext("Audio y pantalla almacenados."),
        }
    return out


def draw(month: dt.date, *, seed: int | None = None, actor=None) -> QualitySample:
    """Store the sample of ``month`` and its items (called by ``actions.draw_sample``)."""
    if seed is None:
        seed = random.SystemRandom().randrange(1, 2**53)
    briefs = _ids(brief_population(month), None)
    interactions = _ids(interaction_population(month), None)
    sample = QualitySample.objects.create(
        month=month,
        seed=seed,
        population_briefs=len(briefs),
        population_interactions=len(interactions),
        sample_briefs=sample_size(len(briefs)),
        sample_interactions=sample_size(len(interactions)),
        max_brief_id=max(briefs, default=0),
        max_interaction_id=max(interactions, default=0),
        formula=formula_text(len(briefs), len(interactions)),
        drawn_by=actor,
    )
    chosen = _choose(seed, briefs, interactions)
    prefill = recordings_prefill([pk for kind, pk in chosen if kind == ItemKind.INTERACTION])
    QualityItem.objects.bulk_create(
        [
            QualityItem(
                sample=sample,
                kind=kind,
                object_id=pk,
                checklist={"recordings": prefill[pk]}
                if pk in prefill and kind == ItemKind.INTERACTION
                else {},
            )
            for kind, pk in chosen
        ]
    )
    return sample


def redraw(sample: QualitySample) -> list[tuple[str, int]]:
    """The items the stored seed and population give again (they equal the sample's items)."""
    briefs = _ids(brief_population(sample.month), sample.max_brief_id)
    interactions = _ids(interaction_population(sample.month), sample.max_interaction_id)
    return _choose(sample.seed, briefs, interactions)


def stored_items(sample: QualitySample) -> list[tuple[str, int]]:
    return list(sample.items.order_by("kind", "object_id").values_list("kind", "object_id"))


# --- results ------------------------------------------------------------------------------


def compliance(items: list[QualityItem]) -> list[dict[str, Any]]:
    """Per checklist item: yes, no, not applicable, unanswered, and compliance = yes ÷ (yes +
    no) as a percentage (``figures.percent``)."""
    out = []
    for key, label in CHECKLIST.items():
        counts = {"yes": 0, "no": 0, "na": 0, "blank": 0}
        for item in items:
            value = ((item.checklist or {}).get(key) or {}).get("value") or "blank"
            counts[value if value in counts else "blank"] += 1
        out.append(
            {
                "key": key,
                "label": str(label),
                **counts,
                "compliance": figures.percent(counts["yes"], counts["yes"] + counts["no"]),
            }
        )
    return out


def results(sample: QualitySample) -> dict[str, Any]:
    """The results report of a sample: its items with their checklists, the findings and the
    compliance per checklist item."""
    items = list(sample.items.select_related("reviewed_by"))
    brief_ids = [i.object_id for i in items if i.kind == ItemKind.BRIEF]
    inter_ids = [i.object_id for i in items if i.kind == ItemKind.INTERACTION]
    briefs = dict(Brief.objects.filter(pk__in=brief_ids).values_list("pk", "code"))
    inters = {
        pk: (code, brief, channel)
        for pk, code, brief, channel in Interaction.objects.filter(pk__in=inter_ids).values_list(
            "pk", "code", "brief__code", "channel"
        )
    }
    rows = []
    for item in items:
        if item.kind == ItemKind.BRIEF:
            label, brief_code, channel = (
                briefs.get(item.object_id, "?"),
                briefs.get(item.object_id),
                "",
            )
        else:
            label, brief_code, channel = inters.get(item.object_id, ("?", None, ""))
        rows.append(
            {
                "id": item.pk,
                "kind": item.kind,
                "kind_label": str(ItemKind(item.kind).label),
                "object_id": item.object_id,
                "label": label,
                "brief": brief_code,
                "channel": channel,
                "checklist": {
                    key: (item.checklist or {}).get(key) or {"value": "", "comment": ""}
                    for key in CHECKLIST
                },
                "finding": item.finding,
                "reviewed_by": item.reviewed_by.username if item.reviewed_by else None,
                "reviewed_at": item.reviewed_at.isoformat() if item.reviewed_at else None,
                "item": item,
            }
        )
    reviewed = [i for i in items if i.reviewed_at]
    return {
        "month": sample.month.strftime("%Y-%m"),
        "seed": sample.seed,
        "formula": sample.formula,
        "population": {
            "briefs": sample.population_briefs,
            "interactions": sample.population_interactions,
        },
        "size": {"briefs": sample.sample_briefs, "interactions": sample.sample_interactions},
        "items": rows,
        "reviewed": len(reviewed),
        "compliance": compliance(items),
        "findings": [r for r in rows if r["finding"]],
    }


ANSWER_LABELS = {"yes": "Sí", "no": "No", "na": "No aplica", "": ""}


def xlsx(data: dict) -> bytes:
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    monthly.write_sheet(
        book,
        "Cumplimiento",
        ["Ítem de la lista", "Sí", "No", "No aplica", "Sin respuesta", "Cumplimiento (%)"],
        [
            [c["label"], c["yes"], c["no"], c["na"], c["blank"], c["compliance"]]
            for c in data["compliance"]
        ],
    )
    header = ["Tipo", "Objeto", "Brief", "Canal"]
    for label in CHECKLIST.values():
        header += [str(label), gettext("Comentario")]
    header += ["Hallazgo", "Revisó", "Fecha de revisión"]
    rows = []
    for r in data["items"]:
        line: list[Any] = [r["kind_label"], r["label"], r["brief"] or "", r["channel"]]
        for key in CHECKLIST:
            line += [
                ANSWER_LABELS.get(r["checklist"][key]["value"], ""),
                r["checklist"][key]["comment"],
            ]
        line += [r["finding"], r["reviewed_by"] or "", (r["reviewed_at"] or "")[:16]]
        rows.append(line)
    monthly.write_sheet(book, "Muestra", header, rows)
    monthly.write_sheet(
        book,
        "Fórmula",
        ["Mes", "Semilla", "Fórmula"],
        [[data["month"], str(data["seed"]), data["formula"]]],
    )
    book.close()
    return out.getvalue()


def pdf(data: dict) -> bytes:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    body = getSampleStyleSheet()["BodyText"]
    formula = [Paragraph(monthly.escape(line), body) for line in data["formula"].splitlines()]
    formula.append(
        Paragraph(monthly.escape(gettext("Semilla: %(seed)s") % {"seed": data["seed"]}), body)
    )
    table = [["Ítem de la lista", "Sí", "No", "No aplica", "Sin respuesta", "Cumplimiento (%)"]] + [
        [c["label"], c["yes"], c["no"], c["na"], c["blank"], c["compliance"]]
        for c in data["compliance"]
    ]
    findings = [["Tipo", "Objeto", "Brief", "Hallazgo"]] + [
        [r["kind_label"], r["label"], r["brief"] or "", r["finding"]] for r in data["findings"]
    ]
    return monthly.pdf_document(
        gettext("Informe de muestreo de calidad · %(month)s") % {"month": data["month"]},
        [
            (gettext("Tamaño de la muestra"), formula),
            (gettext("Cumplimiento por ítem"), [monthly.pdf_table(table)]),
            (gettext("Hallazgos"), [monthly.pdf_table(findings)]),
        ],
    )


def download(data: dict, fmt: str):
    from django.http import HttpResponse

    from brief.contacts.exports import XLSX_TYPE

    name = f"muestreo-{data['month']}"
    if fmt == "pdf":
        response = HttpResponse(pdf(data), content_type=monthly.PDF_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    response = HttpResponse(xlsx(data), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
