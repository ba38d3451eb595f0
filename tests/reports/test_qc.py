"""The monthly random-sample QC: size, reproducible draw, checklist and results."""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from brief.calls.models import Interaction, Recording
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.models import AuditEvent
from brief.reports import actions, qc, tasks
from brief.reports.models import QualityItem, QualitySample
from tests.reports.conftest import MONTH, add_call, dec


@pytest.mark.parametrize(
    ("population", "size"),
    [(0, 0), (1, 1), (10, 10), (100, 80), (1000, 278), (100_000, 383), (10_000_000, 385)],
)
def test_sample_size_follows_the_stated_formula(population, size):
    assert qc.sample_size(population) == size
    if population:
        n0 = 1.96**2 * 0.25 / 0.05**2
        assert size == min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def test_the_formula_text_shows_the_numbers():
    text = qc.formula_text(10, 1000)
    assert "n0 = 384.16" in text
    assert "N = 10 → n = 10" in text
    assert "N = 1000 → n = 278" in text


@pytest.fixture
def calls_month(month_world, asesor):
    """Month world plus 40 more December calls of brief B (43 in all), and one in November."""
    brief = month_world["B"]
    for i in range(40):
        add_call(
            brief,
            f"INT-Q{i:04d}",
            asesor,
            dec(10) + dt.timedelta(minutes=i),
            channel="call" if i % 4 else "whatsapp",
        )
    add_call(brief, "INT-NOV", asesor, dec(1, 0) - dt.timedelta(days=2))
    return month_world


def test_the_draw_is_sized_stored_and_reproducible(calls_month, analista):
    # when OCM draws December's sample with a given seed
    sample = actions.draw_sample(MONTH, actor=analista, seed=20261201)
    # then the populations are the month's campaigns and calls, and the sizes follow the formula
    december = Interaction.objects.filter(started_at__gte=dec(1, 0), started_at__lt=dec(31, 23))
    assert sample.population_interactions == december.count() == 43
    assert sample.population_briefs == 2
    assert sample.sample_interactions == qc.sample_size(43) == 39
    assert sample.sample_briefs == 2
    assert sample.items.filter(kind="interaction").count() == 39
    assert "N = 43 → n = 39" in sample.formula
    # and re-drawing from the seed gives the same items, even after more rows arrived
    add_call(calls_month["B"], "INT-LATE", analista, dec(20))
    assert qc.redraw(sample) == qc.stored_items(sample)
    assert AuditEvent.objects.filter(type="QC_SAMPLE_DRAWN").count() == 1
    # a month has one sample
    with pytest.raises(Conflict):
        actions.draw_sample(MONTH, actor=analista)


def test_the_same_seed_over_the_same_rows_draws_the_same_items(calls_month, analista):
    first = actions.draw_sample(MONTH, actor=analista, seed=99)
    items = qc.stored_items(first)
    QualitySample.objects.all().delete()
    again = actions.draw_sample(MONTH, actor=analista, seed=99)
    assert qc.stored_items(again) == items
    # another seed: a sample of the same size with other items
    QualitySample.objects.all().delete()
    other = actions.draw_sample(MONTH, actor=analista, seed=100)
    assert len(qc.stored_items(other)) == len(items)
    assert qc.stored_items(other) != items


def test_recordings_present_is_prefilled_for_interactions(calls_month, analista, asesor):
    # given every December call has audio and screen except one with audio only
    calls = list(
        Interaction.objects.filter(channel="call", started_at__gte=dec(1, 0)).order_by("pk")
    )
    for n, call in enumerate(calls):
        kinds = ["audio"] if n == 0 else ["audio", "screen"]
        for kind in kinds:
            Recording.objects.create(
                interaction=call, kind=kind, url="https://rec.example/x", uploaded_by=asesor
            )
    # when the sample of 10 000 000 is not the point: draw everything (43 → 39)
    sample = actions.draw_sample(MONTH, actor=analista, seed=5)
    channels = dict(Interaction.objects.values_list("pk", "channel"))
    for item in sample.items.filter(kind="interaction"):
        value = item.checklist["recordings"]["value"]
        if channels[item.object_id] != "call":
            assert value == "na"
        elif item.object_id == calls[0].pk:
            assert value == "no"
            assert "pantalla" in item.checklist["recordings"]["comment"]
        else:
            assert value == "yes"
    assert all(i.checklist == {} for i in sample.items.filter(kind="brief"))


def test_review_checklist_and_compliance(calls_month, analista, auditor, proveedor, client):
    sample = actions.draw_sample(MONTH, actor=analista, seed=1)
    items = list(sample.items.filter(kind="interaction").order_by("pk")[:4])
    answers = ["yes", "yes", "no", "na"]
    for item, value in zip(items, answers, strict=True):
        actions.review_item(
            item,
            actor=auditor,
            checklist={"typification": {"value": value}},
            finding="Mal tipificada" if value == "no" else "",
        )
    with pytest.raises(Forbidden):
        actions.review_item(items[0], actor=proveedor, checklist={})
    with pytest.raises(Invalid):
        actions.review_item(items[0], actor=auditor, checklist={"nope": "yes"})
    with pytest.raises(Invalid):
        actions.review_item(items[0], actor=auditor, checklist={"content": "maybe"})
    data = qc.results(QualitySample.objects.get(pk=sample.pk))
    typ = next(c for c in data["compliance"] if c["key"] == "typification")
    stored = [
        (i.checklist.get("typification") or {}).get("value")
        for i in QualityItem.objects.filter(sample=sample)
    ]
    yes, no = stored.count("yes"), stored.count("no")
    assert (typ["yes"], typ["no"], typ["na"]) == (2, 1, 1) == (yes, no, stored.count("na"))
    assert typ["compliance"] == round(100 * yes / (yes + no), 1) == 66.7
    assert [f["finding"] for f in data["findings"]] == ["Mal tipificada"]
    assert data["reviewed"] == 4
    sample.refresh_from_db()
    assert sample.state == "in_review"
    # the page shows the formula and posts the checklist
    client.force_login(analista)
    url = reverse("reports:qc_detail", args=["2026-12"])
    page = client.get(url)
    assert page.status_code == 200
    assert "n0 = 384.16" in page.content.decode()
    item = items[0]
    prefix = f"i{item.pk}"
    response = client.post(
        reverse("reports:qc_item_review", args=["2026-12", item.pk]),
        {
            f"{prefix}-content": "no",
            f"{prefix}-content_comment": "Texto distinto",
            f"{prefix}-finding": "Contenido cambiado",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.checklist["content"] == {"value": "no", "comment": "Texto distinto"}
    assert item.finding == "Contenido cambiado"


def test_results_downloads_are_formula_safe(calls_month, analista, auditor, client):
    sample = actions.draw_sample(MONTH, actor=analista, seed=3)
    item = sample.items.first()
    actions.review_item(item, actor=auditor, checklist={"requirements": "no"}, finding="=1+1")
    client.force_login(auditor)
    url = reverse("reports:qc_detail", args=["2026-12"])
    xlsx = client.get(url, {"format": "xlsx"})
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    assert book.sheet_names == ["Cumplimiento", "Muestra", "Fórmula"]
    rows = book.get_sheet_by_name("Muestra").to_python()
    assert "'=1+1" in [cell for row in rows for cell in row]
    compliance = book.get_sheet_by_name("Cumplimiento").to_python()
    assert compliance[1][:3] == ["Cumple los requisitos del brief", 0, 1]
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        assert "<f>" not in "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )
    assert client.get(url, {"format": "pdf"}).content.startswith(b"%PDF")


def test_qc_pages_are_for_ocm_and_internal_control(
    client, calls_month, analista, auditor, proveedor, asesor, solicitante
):
    actions.draw_sample(MONTH, actor=analista, seed=3)
    for user in (proveedor, asesor, solicitante):
        client.force_login(user)
        assert client.get(reverse("reports:qc_list")).status_code == 403
        assert client.get(reverse("reports:qc_detail", args=["2026-12"])).status_code == 403
    client.force_login(auditor)
    assert client.get(reverse("reports:qc_list")).status_code == 200
    # the auditor reviews but does not draw
    assert client.post(reverse("reports:qc_list"), {"mes": "2026-11"}).status_code == 403
    assert client.get(reverse("reports:qc_detail", args=["2026-13"])).status_code == 404
    client.force_login(analista)
    response = client.post(reverse("reports:qc_list"), {"mes": "2026-11"})
    assert response.status_code == 302
    assert QualitySample.objects.filter(month=dt.date(2026, 11, 1)).exists()


def test_the_beat_draws_last_months_sample_once(calls_month, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2027, 1, 1, 7, tzinfo=dt.UTC))
    assert tasks.draw_monthly_sample.run() == "drawn"
    assert tasks.draw_monthly_sample.run() == "exists"
    sample = QualitySample.objects.get()
    assert sample.month == MONTH
    assert sample.drawn_by is None
    assert qc.redraw(sample) == qc.stored_items(sample)
