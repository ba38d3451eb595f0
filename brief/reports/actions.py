"""The reports app's write path: one function per business action, atomic, with its audit
event. Reports themselves are read-only; what is written here are follow-up records."""

from __future__ import annotations

# --- monthly reports, QC sample ---
import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brief.accounts.models import Area, User
from brief.campaigns import permissions
from brief.campaigns.models import Brief
from brief.campaigns.permissions import require_write_conclusions
from brief.core.audit import record
from brief.core.exceptions import Conflict, Invalid

from .choices import CHECKLIST, Answer, RecommendationStatus, SampleState
from .models import QualityItem, QualitySample, Recommendation, ReportConclusion


def _clean_text(value: Any, field: str, message: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Invalid(message, code="required", field=field)
    return text


def create_recommendation(
    *,
    actor,
    text: str,
    area: Area,
    owner: User,
    due_date: dt.date,
    brief: Brief | None = None,
    request=None,
) -> Recommendation:
    """File an improvement recommendation (OCM or the provider) for ``area``, optionally tied
    to one of its briefs; ``owner`` follows it up until it is closed."""
    permissions.require_create_recommendation(actor)
    text = _clean_text(text, "text", gettext("Escriba la recomendación."))
    if brief is not None and brief.area_id != area.pk:
        raise Invalid(
            gettext("El brief %(code)s no es del área elegida.") % {"code": brief.code},
            code="brief_area",
            field="brief",
        )
    if not owner.is_active:
        raise Invalid(
            gettext("El responsable no está activo."), code="owner_inactive", field="owner"
        )
    with transaction.atomic():
        rec = Recommendation.objects.create(
            text=text, area=area, brief=brief, owner=owner, due_date=due_date, created_by=actor
        )
        record(
            "RECOMMENDATION_CREATED",
            actor=actor,
            target=rec,
            request=request,
            details={
                "area": area.code,
                "owner": owner.username,
                "due_date": due_date.isoformat(),
                "brief": brief.code if brief else None,
            },
        )
    return rec


def set_recommendation_status(
    rec: Recommendation, *, actor, status: str, note: str = "", request=None
) -> Recommendation:
    """The owner (or OCM) moves a recommendation between open and in progress, or closes it
    (``closed`` needs a closing note). A closed one is final."""
    permissions.require_update_recommendation(actor, rec)
    if status not in RecommendationStatus.values:
        raise Invalid(gettext("Estado no válido."), code="bad_status", field="status")
    if status == RecommendationStatus.CLOSED:
        return close_recommendation(rec, actor=actor, note=note, request=request)
    return _move(
        rec,
        actor,
        request,
        "RECOMMENDATION_UPDATED",
        {"to": status, "note": note},
        status=status,
        updated_at=timezone.now(),
    )


def close_recommendation(rec: Recommendation, *, actor, note: str, request=None) -> Recommendation:
    """Close a recommendation with the note saying what was done."""
    permissions.require_update_recommendation(actor, rec)
    note = _clean_text(note, "note", gettext("Escriba la nota de cierre."))
    now = timezone.now()
    return _move(
        rec,
        actor,
        request,
        "RECOMMENDATION_CLOSED",
        {"note": note},
        status=RecommendationStatus.CLOSED,
        closed_at=now,
        closing_note=note,
        updated_at=now,
    )


def _move(
    rec: Recommendation, actor, request, event: str, details: dict, **fields
) -> Recommendation:
    """Claim a not-closed recommendation with a conditional update and write the event."""
    with transaction.atomic():
        claimed = (
            Recommendation.objects.filter(pk=rec.pk)
            .exclude(status=RecommendationStatus.CLOSED)
            .update(**fields)
        )
        if claimed != 1:
            raise Conflict(gettext("La recomendación ya está cerrada."), code="closed")
        before = rec.status
        rec.refresh_from_db()
        record(event, actor=actor, target=rec, request=request, details={"from": before, **details})
    return rec


def draw_sample(month: dt.date, *, actor=None, seed: int | None = None) -> QualitySample:
    """Draw the QC sample of ``month`` (OCM, or the beat with no actor); a month has one."""
    from . import qc

    if actor is not None:
        permissions.require_qc_draw(actor)
    with transaction.atomic():
        if QualitySample.objects.select_for_update().filter(month=month).exists():
            raise Conflict(
                gettext("La muestra de %(month)s ya fue sorteada.") % {"month": f"{month:%Y-%m}"},
                code="sample_exists",
            )
        sample = qc.draw(month, seed=seed, actor=actor)
        record(
            "QC_SAMPLE_DRAWN",
            actor=actor,
            target=sample,
            details={
                "month": f"{month:%Y-%m}",
                "seed": sample.seed,
                "briefs": [sample.population_briefs, sample.sample_briefs],
                "interactions": [sample.population_interactions, sample.sample_interactions],
            },
        )
    return sample


def review_item(
    item: QualityItem, *, actor, checklist: dict, finding: str = "", request=None
) -> QualityItem:
    """Record the checklist of one sampled item (OCM or internal control): each key of
    ``CHECKLIST`` → ``{"value": yes|no|na, "comment": …}``; unknown keys are refused."""
    permissions.require_qc_review(actor)
    if not isinstance(checklist, dict) or set(checklist) - set(CHECKLIST):
        raise Invalid(
            gettext("Lista de chequeo no válida."), code="bad_checklist", field="checklist"
        )
    clean: dict[str, dict[str, str]] = dict(item.checklist or {})
    for key, entry in checklist.items():
        entry = entry if isinstance(entry, dict) else {"value": entry}
        value = entry.get("value") or ""
        if value not in (*Answer.values, ""):
            raise Invalid(
                gettext("Respuesta no válida en «%(item)s».") % {"item": CHECKLIST[key]},
                code="bad_checklist",
                field="checklist",
            )
        comment = entry.get("comment") or ""
        clean[key] = {"value": value, "comment": str(comment)[:1000]}
    with transaction.atomic():
        item.checklist = clean
        item.finding = (finding or "").strip() if isinstance(finding, str) else ""
        item.reviewed_by = actor
        item.reviewed_at = timezone.now()
        item.save(update_fields=["checklist", "finding", "reviewed_by", "reviewed_at"])
        QualitySample.objects.filter(pk=item.sample_id, state=SampleState.DRAWN).update(
            state=SampleState.IN_REVIEW
        )
        record(
            "QC_ITEM_REVIEWED",
            actor=actor,
            target=item,
            request=request,
            details={"checklist": clean, "finding": item.finding},
        )
    return item


# --- campaign report ---


MAX_CONCLUSIONS = 5_000


@transaction.atomic
def write_conclusions(brief: Brief, *, actor, text: str, request=None) -> ReportConclusion:
    """OCM writes (or rewrites) the conclusions of ``brief``'s campaign report: a new row,
    the latest one shown; audit ``REPORT_CONCLUSIONS_WRITTEN``."""
    require_write_conclusions(actor, brief)
    text = (text or "").strip()
    if not text:
        raise Invalid(gettext("Escriba las conclusiones."), code="required", field="text")
    if len(text) > MAX_CONCLUSIONS:
        raise Invalid(
            gettext("Las conclusiones admiten hasta %(n)s caracteres.") % {"n": MAX_CONCLUSIONS},
            code="too_long",
            field="text",
        )
    conclusion = ReportConclusion.objects.create(
        brief=brief, text=text, author=actor, at=timezone.now()
    )
    record(
        "REPORT_CONCLUSIONS_WRITTEN",
        actor=actor,
        target=brief,
        request=request,
        details={"conclusion": conclusion.pk, "characters": len(text)},
    )
    return conclusion


def log_report_read(brief: Brief, *, actor, what: str, request=None, **details) -> None:
    """Audit a read that shows personal data (the report page's observations, a
    recipient-level register, a delivered file): ``REPORT_<WHAT>``."""
    record(f"REPORT_{what.upper()}", actor=actor, target=brief, request=request, details=details)
