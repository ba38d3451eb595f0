"""Schemathesis against the published OpenAPI schema, in process (issue 14, «Schema truth»).

Every operation of ``/api/schema/`` is one test (xdist spreads them), run through the WSGI app
with a token of an OCM analyst or of the provider's channel director, on a brief with a base,
templates, a sweep and a question seeded once per module inside a transaction that is rolled
back at the end (files go to a temporary ``MEDIA_ROOT``). Path parameters name the seeded
objects in most cases and whatever Hypothesis drew in the rest (the 404s). Each answer must not
be a 5xx and must match the schema: status code, content type and body.

Bounded and deterministic: a fixed seed, derandomized Hypothesis, ``MAX_EXAMPLES`` per
operation, no coverage or stateful phase.
"""

from __future__ import annotations

import json

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from brief.accounts.actions import set_roles
from brief.accounts.models import Area, Provider, User
from brief.campaigns import actions as brief_actions
from brief.campaigns.choices import Status
from brief.contacts import importer
from brief.contacts.models import ContactBase, Suppression
from brief.core.roles import Role
from brief.dispatch.models import ProviderAccount, Sweep
from tests.helpers import attach_base, base_csv, brief_data, channel_templates, meet_checks, upload

MAX_EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _schema_json() -> dict:
    """The document ``/api/schema/?format=json`` serves (its generator, no request needed)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


RAW = _schema_json()
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 14,
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "deterministic": True},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(RAW, config=CONFIG)
schema.app = get_wsgi_application()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Objects for the path parameters, seeded once and rolled back after the module."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        yield _seed()
        transaction.set_rollback(True)


def _user(username: str, *roles: str, **fields) -> User:
    user = User.objects.create_user(
        username=username, password="demo", email=f"{username}@brief.example", **fields
    )
    set_roles(user, list(roles))
    return User.objects.get(pk=user.pk)


def _seed() -> dict:
    area = Area.objects.create(code="credito", name="Vicepresidencia de Crédito y Cobranza")
    provider = Provider.objects.create(code="bpo", name="Contact Center BPO")
    users = {
        "solicitante": _user("solicitante", Role.SOLICITANTE, area=area),
        "jefe": _user("jefe", Role.JEFE, area=area),
        "comunicaciones": _user("comunicaciones", Role.COMUNICACIONES),
        "analista": _user("analista", Role.ANALISTA_OCM),
        "proveedor": _user("proveedor", Role.PROVEEDOR, provider=provider),
        "asesor": _user("asesor", Role.ASESOR, provider=provider),
    }
    account = ProviderAccount.objects.create(
        code="locmem",
        name="Memoria",
        backend="brief.dispatch.providers.locmem.LocmemProvider",
        channels=["sms", "email", "whatsapp", "voice", "call"],
        rate_per_second=1_000_000,
    )
    requester, analyst, director = users["solicitante"], users["analista"], users["proveedor"]
    brief = brief_actions.create_brief(actor=requester, data=brief_data(channels=["sms"]))
    brief_actions.add_attachment(
        brief, actor=requester, kind="base", upload=upload("base.csv", base_csv(3))
    )
    brief_actions.give_approval(brief, "boss", actor=users["jefe"])
    brief_actions.give_approval(brief, "comms", actor=users["comunicaciones"])
    for name, actor in [
        ("submit", requester),
        ("start_review", analyst),
        ("forward", analyst),
        ("receive", director),
    ]:
        brief.refresh_from_db()
        meet_checks(brief, name, director)
        brief_actions.perform(brief, name, actor=actor)
    brief.refresh_from_db()
    assert brief.status == Status.RECEIVED
    attachment = attach_base(brief, requester, "base.csv", base_csv(3))
    base = ContactBase.objects.create(
        brief=brief,
        attachment=attachment,
        source_name="base.csv",
        created_by=director,
        channels=["sms"],
    )
    importer.run_import(base.pk)
    template = channel_templates(brief, director)["sms"]
    question = brief_actions.ask_question(brief, actor=director, text="¿Fecha de corte?")
    sweep = Sweep.objects.create(
        brief=brief,
        number=1,
        channel="sms",
        template=template,
        base=base,
        provider_account=account,
        created_by=director,
    )
    suppression = Suppression.objects.create(
        channel="sms", value="+573001112233", source="manual", reason="Prueba"
    )
    tokens = {
        name: Token.objects.create(user=users[name]).key for name in ("analista", "proveedor")
    }
    return {
        "tokens": tokens,
        "params": {
            "/api/v1/briefs/": {"code": brief.code, "qid": question.pk, "username": "asesor"},
            "/api/v1/bases/": {"id": base.pk},
            "/api/v1/sweeps/": {"id": sweep.pk},
            "/api/v1/templates/": {"id": template.pk},
            "/api/v1/suppressions/": {"id": suppression.pk},
            "/api/v1/provider-accounts/": {"code": account.code},
        },
    }


@pytest.fixture
def wsgi_in_test_transaction(db):
    """The WSGI handler closes "old" connections around each request; inside the test's
    transaction that would close it, so the handler is kept off that (as Django's test client
    does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _seeded_parameters(world, path: str) -> dict:
    for prefix, values in world["params"].items():
        if path.startswith(prefix):
            return values
    return {}


@schema.parametrize()
@schema.given(who=st.sampled_from(["analista", "proveedor"]), seeded=st.booleans())
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_schema(case, who, seeded, world, wsgi_in_test_transaction):
    if seeded and case.path_parameters:
        known = _seeded_parameters(world, case.operation.path)
        case.path_parameters = {
            name: known.get(name, value) for name, value in case.path_parameters.items()
        }
    case.call_and_validate(
        headers={"Authorization": f"Token {world['tokens'][who]}"}, checks=CHECKS
    )
