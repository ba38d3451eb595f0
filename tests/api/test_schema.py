"""What the published OpenAPI document says (issue 14): the bodies the API really takes and
the errors it really gives, served as JSON when asked."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from brief.campaigns.choices import ACTIONS, Status

pytestmark = pytest.mark.django_db
ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def served(api, analista):
    response = api.as_user(analista).get(reverse("schema") + "?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return json.loads(response.content)


def _json_schema(operation, status: str) -> dict:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_format_json_with_a_token_is_json_and_the_document_schemathesis_checks(served):
    # tests/api/test_schemathesis.py parametrizes from the generator's document
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert served["openapi"].startswith("3.")
    assert served == json.loads(OpenApiJsonRenderer().render(generated))


def test_every_error_status_uses_the_one_error_body(served):
    error = served["components"]["schemas"]["Error"]
    assert error["required"] == ["errors"]
    item = served["components"]["schemas"]["ErrorItem"]
    assert set(item["properties"]) == {"code", "message", "field"}
    assert item["properties"]["field"]["nullable"] is True
    seen = set()
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    seen.add(status)
                    assert _json_schema(operation, status) == ERROR, (method, path, status)
                    assert response["description"]
    assert seen >= {"400", "401", "403", "404", "409", "429", "507"}


def test_workflow_actions_take_their_own_body_and_answer_the_brief_with_its_transition(served):
    for name in ACTIONS:
        operation = served["paths"][f"/api/v1/briefs/{{code}}/{name}/"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Action"}, name
        assert _json_schema(operation, "200") == {"$ref": "#/components/schemas/ActionResult"}
        assert {"400", "401", "403", "404", "409"} <= set(operation["responses"]), name
    action = served["components"]["schemas"]["Action"]["properties"]
    assert set(action) == {"note", "checklist", "provider"}
    result = served["components"]["schemas"]["ActionResult"]["properties"]
    assert "transition" in result
    assert "status" in result


def test_statuses_follow_the_operation(served):
    paths = served["paths"]
    me = paths["/api/v1/me/"]["get"]["responses"]
    assert set(me) == {"200", "401", "403"}  # nothing to validate, nothing to find
    token = paths["/api/v1/auth/token/"]["post"]["responses"]
    assert set(token) == {"200", "400", "429"}  # open to anyone
    assert "507" in paths["/api/v1/briefs/{code}/attachments/"]["post"]["responses"]
    assert "507" not in paths["/api/v1/briefs/{code}/questions/"]["post"]["responses"]
    assert "409" in paths["/api/v1/briefs/{code}/submit/"]["post"]["responses"]


def test_lists_that_are_not_paginated_are_documented_as_arrays(served):
    for path in (
        "/api/v1/briefs/{code}/attachments/",
        "/api/v1/briefs/{code}/questions/",
        "/api/v1/briefs/{code}/sweeps/",
        "/api/v1/briefs/{code}/templates/",
    ):
        assert _json_schema(served["paths"][path]["get"], "200")["type"] == "array", path
    briefs = _json_schema(served["paths"]["/api/v1/briefs/"]["get"], "200")
    assert briefs == {"$ref": "#/components/schemas/PaginatedBriefList"}


def test_kickoff_not_yet_recorded_is_a_404_not_null(api, make_brief, proveedor):
    # given a received brief without its kick-off meeting
    brief = make_brief(Status.RECEIVED)
    # when
    response = api.as_user(proveedor).get(reverse("api:brief-kickoff", args=[brief.code]))
    # then
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
