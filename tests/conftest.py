"""Personas and helpers shared by every test (HOUSE_STYLE §6)."""

from __future__ import annotations

import os
import shutil

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from brief.accounts.actions import set_roles
from brief.accounts.models import Area, Provider, User
from brief.core.roles import Role

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_binary(path_or_name: str) -> str:
    """The binary's path; skip when missing on a laptop, fail when missing under CI."""
    found = path_or_name if os.path.isabs(path_or_name) else shutil.which(path_or_name)
    if found and os.path.exists(found):
        return found
    message = f"{path_or_name} is not installed (see README: Debian packages)"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)
    raise AssertionError("unreachable")


@pytest.fixture
def area(db) -> Area:
    return Area.objects.create(code="credito", name="Vicepresidencia de Crédito y Cobranza")


@pytest.fixture
def other_area(db) -> Area:
    return Area.objects.create(code="fondos", name="Vicepresidencia de Fondos en Administración")


@pytest.fixture
def provider_org(db) -> Provider:
    return Provider.objects.create(code="bpo", name="Contact Center BPO")


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: str, area=None, provider=None, password="demo") -> User:
        user = User.objects.create_user(
            username=username,
            password=password,
            email=f"{username}@brief.example",
            first_name=username.capitalize(),
            area=area,
            provider=provider,
        )
        set_roles(user, list(roles))
        return User.objects.get(pk=user.pk)

    return make


@pytest.fixture
def solicitante(make_user, area):
    return make_user("solicitante", Role.SOLICITANTE, area=area)


@pytest.fixture
def jefe(make_user, area):
    return make_user("jefe", Role.JEFE, area=area)


@pytest.fixture
def comunicaciones(make_user):
    return make_user("comunicaciones", Role.COMUNICACIONES)


@pytest.fixture
def analista(make_user):
    return make_user("analista", Role.ANALISTA_OCM)


@pytest.fixture
def lider(make_user):
    return make_user("lider", Role.LIDER_PROCESO)


@pytest.fixture
def proveedor(make_user, provider_org):
    return make_user("proveedor", Role.PROVEEDOR, provider=provider_org)


@pytest.fixture
def asesor(make_user, provider_org):
    return make_user("asesor", Role.ASESOR, provider=provider_org)


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", Role.AUDITOR)


@pytest.fixture
def outsider(make_user, other_area):
    """A requester of another area: must never see the first area's objects."""
    return make_user("outsider", Role.SOLICITANTE, area=other_area)


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates it with a real token."""

    class _Client(APIClient):
        def as_user(self, user):
            token, _ = Token.objects.get_or_create(user=user)
            self.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            return self

    return _Client()
