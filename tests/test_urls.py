"""The project URLs: the OpenAPI schema is valid and lists the API."""


def test_openapi_schema_is_valid_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/briefs/{code}/submit/" in text
    assert "/api/v1/auth/token/" in text
