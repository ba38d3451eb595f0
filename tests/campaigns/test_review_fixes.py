"""Regressions from the review: the brief API validates as the F559 form does."""

from __future__ import annotations

import pytest

from brief.campaigns.choices import Status
from tests.campaigns.conftest import make_brief  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": {"sms": 5}}, "content"),
        ({"content": {"sms": ["Hola"]}}, "content"),
        ({"target_contact_rate": 500}, "target_contact_rate"),
        ({"target_effectiveness": -1}, "target_effectiveness"),
    ],
)
def test_patch_refuses_what_the_f559_form_refuses(api, make_brief, solicitante, body, field):  # noqa: F811
    # given
    brief = make_brief(Status.DRAFT)
    # when
    r = api.as_user(solicitante).patch(f"/api/v1/briefs/{brief.code}/", body, format="json")
    # then
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == [field]
    brief.refresh_from_db()
    assert brief.content == {}
    assert brief.target_contact_rate is None
    assert brief.target_effectiveness is None


def test_patch_accepts_text_content_and_percentages(api, make_brief, solicitante):  # noqa: F811
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).patch(
        f"/api/v1/briefs/{brief.code}/",
        {"content": {"sms": "Hola {nombres}"}, "target_contact_rate": 80},
        format="json",
    )
    assert r.status_code == 200
    assert r.json()["content"] == {"sms": "Hola {nombres}"}
    assert r.json()["target_contact_rate"] == "80.00"
