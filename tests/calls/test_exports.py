"""The CRM export: typified interactions in a layout's order and headers, filtered, formula
safe, scoped to what the user sees, and audit-logged."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl
import pytest
from django.urls import reverse

from brief.calls import actions
from brief.calls.models import CrmExportLayout, TypificationNode
from brief.core import calendar
from brief.core.exceptions import Forbidden, Invalid
from brief.core.models import AuditEvent
from tests.calls.conftest import with_survey


def _moment(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, 0, tzinfo=calendar.BOGOTA)


@pytest.fixture
def worked(call_campaign, asesor):
    """Three calls: two typified (one with a formula in its observations), one untypified."""
    brief, contacts, leaf = call_campaign
    with_survey(brief, [{"key": "satisfaccion", "text": "¿Satisfecho?", "kind": "csat"}])
    other_leaf = TypificationNode.objects.get(brief=brief, code="NC01")

    def call(**data):
        return actions.record_interaction(brief, actor=asesor, data={"channel": "call", **data})

    first = call(
        contact=contacts[0].pk,
        typification=leaf.pk,
        external_id="D-1",
        observations='=HYPERLINK("http://x")',
        answers={"satisfaccion": "5"},
        started_at=_moment(1),
        ended_at=_moment(1) + dt.timedelta(seconds=95),
    )
    second = call(
        contact=contacts[1].pk,
        typification=other_leaf.pk,
        external_id="D-2",
        observations="+57 llamar luego",
        started_at=_moment(3),
    )
    call(contact=contacts[1].pk, external_id="D-3", started_at=_moment(2))
    return brief, first, second


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_a_layout_orders_and_names_the_columns(api, worked, analista):
    # given a layout with four columns in a chosen order, one of them an answer
    brief, _, _ = worked
    layout = actions.save_export_layout(
        None,
        actor=analista,
        name="CRM ICETEX",
        columns=[
            {"field": "contact.doc_number", "header": "Cedula"},
            {"field": "answer:satisfaccion", "header": "Satisfacción"},
            {"field": "typification.path", "header": ""},
            {"field": "interaction.duration", "header": "Segundos"},
        ],
    )
    # when OCM exports the brief as CSV with it
    response = api.as_user(analista).get(
        reverse("api:interactions"), {"format": "csv", "layout": layout.pk, "brief": brief.code}
    )
    # then the headers and values follow the layout; the untypified call is left out
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows == [
        ["Cedula", "Satisfacción", "Ruta de tipificación", "Segundos"],
        ["1020304050", "5", "Contacto directo › Efectivo › Información entregada", "95"],
        ["79888777", "", "No contacto › No contesta", ""],
    ]
    # and the export is in the audit log with its filters
    event = AuditEvent.objects.get(type="INTERACTIONS_EXPORTED")
    assert event.details["layout"] == layout.pk
    assert event.details["filters"]["brief"] == brief.code


def test_cells_that_would_run_as_formulas_are_escaped(api, worked, analista):
    layout = actions.save_export_layout(
        None,
        actor=analista,
        name="Obs",
        columns=[{"field": "interaction.external_id"}, {"field": "interaction.observations"}],
    )
    client = api.as_user(analista)
    url = reverse("api:interactions")
    rows = _csv(client.get(url, {"format": "csv", "layout": layout.pk}))
    assert rows[1:] == [["D-1", '\'=HYPERLINK("http://x")'], ["D-2", "'+57 llamar luego"]]
    # the XLSX holds the same escaped text
    response = client.get(url, {"format": "xlsx", "layout": layout.pk})
    assert response.status_code == 200
    book = pl.read_excel(b"".join(response.streaming_content), infer_schema_length=0)
    assert book.columns == ["ID en el proveedor", "Observaciones"]
    assert book.rows() == [("D-1", '\'=HYPERLINK("http://x")'), ("D-2", "'+57 llamar luego")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"typification": "CD"}, ["D-1"]),  # a category takes every leaf under it
        ({"typification": "NC01"}, ["D-2"]),
        ({"from": "2026-12-02"}, ["D-2"]),
        ({"to": "2026-12-02"}, ["D-1"]),
        ({"advisor": "asesor"}, ["D-1", "D-2"]),
        ({"advisor": "nadie"}, []),
        ({"campaign": "BRF-0000-0000"}, []),
    ],
)
def test_filters(api, worked, analista, params, expected):
    layout = actions.save_export_layout(
        None, actor=analista, name="IDs", columns=[{"field": "interaction.external_id"}]
    )
    response = api.as_user(analista).get(
        reverse("api:interactions"), {"format": "csv", "layout": layout.pk, **params}
    )
    assert [r[0] for r in _csv(response)[1:]] == expected


def test_the_json_list_takes_the_same_filters(api, worked, analista):
    brief, _, _ = worked
    client = api.as_user(analista)
    body = client.get(reverse("api:interactions"), {"campaign": brief.code, "typified": "true"})
    assert sorted(i["external_id"] for i in body.json()["results"]) == ["D-1", "D-2"]


def test_scoping(api, worked, solicitante, outsider, other_provider_user, proveedor, analista):
    # the brief's area and its provider see its interactions; another area or provider none
    layout = actions.save_export_layout(
        None, actor=analista, name="IDs", columns=[{"field": "interaction.external_id"}]
    )
    url = reverse("api:interactions")
    params = {"format": "csv", "layout": layout.pk}
    for user, expected in [
        (solicitante, ["D-1", "D-2"]),
        (proveedor, ["D-1", "D-2"]),
        (outsider, []),
        (other_provider_user, []),
    ]:
        assert [r[0] for r in _csv(api.as_user(user).get(url, params))[1:]] == expected


def test_an_area_layout_is_offered_to_that_area_only(
    api, worked, analista, solicitante, outsider, area
):
    layout = actions.save_export_layout(
        None, actor=analista, name="Del área", area=area, columns=["interaction.code"]
    )
    url = reverse("api:crm_layouts")
    assert [x["name"] for x in api.as_user(solicitante).get(url).json()] == ["Del área"]
    assert api.as_user(outsider).get(url).json() == []
    refused = api.as_user(outsider).get(
        reverse("api:interactions"), {"format": "csv", "layout": layout.pk}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "layout"


def test_only_ocm_edits_layouts_and_columns_come_from_the_catalogue(api, analista, proveedor):
    with pytest.raises(Forbidden):
        actions.save_export_layout(None, actor=proveedor, name="X", columns=["interaction.code"])
    with pytest.raises(Invalid) as refused:
        actions.save_export_layout(
            None, actor=analista, name="X", columns=["interaction.code", "contact.password"]
        )
    assert "contact.password" in refused.value.message
    assert not CrmExportLayout.objects.exists()
    client = api.as_user(analista)
    created = client.post(
        reverse("api:crm_layouts"),
        {"name": "API", "columns": [{"field": "brief.code", "header": "Campaña"}]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["columns"] == [{"field": "brief.code", "header": "Campaña"}]
    assert (
        api.as_user(proveedor)
        .delete(reverse("api:crm_layout", args=[created.json()["id"]]))
        .status_code
        == 403
    )


def test_a_bad_format_is_a_structured_400(api, worked, analista):
    response = api.as_user(analista).get(reverse("api:interactions"), {"format": "pdf"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"
    assert not AuditEvent.objects.filter(type="INTERACTIONS_EXPORTED").exists()


def test_the_export_page_downloads_with_the_filters(client, worked, analista):
    client.force_login(analista)
    page = client.get(reverse("calls:export"))
    assert page.status_code == 200
    response = client.get(reverse("calls:export"), {"format": "csv", "typification": "CD"})
    rows = _csv(response)
    assert rows[0][0] == "Código de la interacción"
    assert len(rows) == 2


def test_ocm_edits_a_layout_on_its_page(client, analista, proveedor, area):
    client.force_login(analista)
    assert client.get(reverse("calls:layout_add")).status_code == 200
    response = client.post(
        reverse("calls:layout_add"),
        {"name": "Cargue CRM", "area": area.pk, "columns": "brief.code | Campaña\nanswer:nps\n"},
    )
    assert response.status_code == 302
    layout = CrmExportLayout.objects.get(name="Cargue CRM")
    assert (layout.area, layout.columns) == (
        area,
        [{"field": "brief.code", "header": "Campaña"}, {"field": "answer:nps", "header": "nps"}],
    )
    bad = client.post(
        reverse("calls:layout_edit", args=[layout.pk]),
        {"name": "Cargue CRM", "columns": "contact.secreto"},
    )
    assert bad.status_code == 400
    assert "contact.secreto" in bad.content.decode()
    client.force_login(proveedor)
    assert client.get(reverse("calls:layout_add")).status_code == 403
