"""The contacts API: bad input answers 4xx, personal-data reads are logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from brief.contacts.models import Segment, Suppression
from brief.core.models import AuditEvent
from tests.helpers import CUSTOM_CSV, attach_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(received, solicitante, proveedor, import_file):
    attachment = attach_base(received, solicitante, "contactos.csv", CUSTOM_CSV)
    return import_file(attachment, proveedor, mapping={"fono_contacto": "mobile"})


CUSTOM_MESSAGE = "Use un objeto {campo: valor} con valores de texto o número."


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"custom": [1]}, "custom", CUSTOM_MESSAGE),
        ({"custom": {"plan": {"a": 1}}}, "custom", CUSTOM_MESSAGE),
        ({"custom": {"": "oro"}}, "custom", CUSTOM_MESSAGE),
        ({"channel": ["sms"]}, "channel", "Use un texto."),
        ({"sweeps": ["delivered"]}, "sweeps", "Use un texto."),
        ({"city": {"a": 1}}, "city", "Use un texto o una lista de textos."),
        ({"abroad": [1]}, "abroad", "Use verdadero o falso."),
    ],
)
@pytest.mark.parametrize("endpoint", ["segments", "segments/count"])
def test_segment_filters_of_the_wrong_type_answer_400(
    api, base, proveedor, filters, field, message, endpoint
):
    # when
    r = api.as_user(proveedor).post(
        f"/api/v1/bases/{base.pk}/{endpoint}/", {"name": "x", "filters": filters}, format="json"
    )
    # then
    assert r.status_code == 400
    assert r.json()["errors"][0] == {
        "code": "bad_filter",
        "message": message,
        "field": field,
    }
    assert not Segment.objects.exists()


def test_custom_filter_name_is_one_key_never_a_lookup(api, base, proveedor):
    # given the custom field «plan» (oro, plata, plata)
    client = api.as_user(proveedor)
    count = f"/api/v1/bases/{base.pk}/segments/count/"
    assert (
        client.post(count, {"filters": {"custom": {"plan": "plata"}}}, format="json").json()[
            "total"
        ]
        == 2
    )
    # when the name smuggles a lookup into the query
    r = client.post(count, {"filters": {"custom": {"plan__regex": "."}}}, format="json")
    # then it is only a key nobody has
    assert r.status_code == 200
    assert r.json()["total"] == 0


def test_base_api_with_a_non_numeric_id_is_404(api, base, proveedor):
    client = api.as_user(proveedor)
    for path in ("/api/v1/bases/abc/", "/api/v1/bases/abc/rejects/", "/api/v1/bases/1x/segments/"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("body", [[1], "texto", 5])
def test_json_bodies_that_are_not_objects_answer_400(api, base, received, proveedor, body):
    client = api.as_user(proveedor)
    paths = [
        "/api/v1/suppressions/",
        "/api/v1/bases/inspect/",
        f"/api/v1/bases/{base.pk}/segments/",
        f"/api/v1/bases/{base.pk}/segments/count/",
        f"/api/v1/briefs/{received.code}/questions/",
    ]
    for path in paths:
        r = client.post(path, body, format="json")
        assert r.status_code == 400, path
        assert r.json()["errors"][0]["code"] == "not_an_object", path
    assert not Suppression.objects.exists()
    assert not Segment.objects.exists()
    assert not received.questions.exists()


def test_suppression_api_refuses_an_unknown_source(api, analista):
    # when
    r = api.as_user(analista).post(
        "/api/v1/suppressions/",
        {"channel": "all", "value": "3001234567", "source": "cualquiera"},
        format="json",
    )
    # then
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "source"
    assert not Suppression.objects.exists()


def test_reading_suppressions_through_the_api_is_logged(api, analista, auditor):
    # given
    entry = Suppression.objects.create(channel="all", value="+573001234567", reason="pidió")
    client = api.as_user(auditor)
    # when
    listed = client.get("/api/v1/suppressions/?channel=all")
    one = client.get(f"/api/v1/suppressions/{entry.pk}/")
    # then
    assert listed.status_code == 200
    assert one.status_code == 200
    events = list(AuditEvent.objects.filter(type="SUPPRESSIONS_VIEWED").order_by("pk"))
    assert [(e.actor, e.details) for e in events] == [
        (auditor, {"filters": {"channel": "all"}}),
        (auditor, {"suppression": entry.pk}),
    ]


def test_a_segment_name_over_120_characters_is_a_400_not_a_truncated_row(api, base, proveedor):
    # when (PostgreSQL would refuse the row with a 500; SQLite would store it whole)
    r = api.as_user(proveedor).post(
        reverse("api:base-segments", args=[base.pk]), {"name": "x" * 121}, format="json"
    )
    # then
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "name"
    assert r.json()["errors"][0]["code"] == "max_length"
    assert not Segment.objects.exists()
