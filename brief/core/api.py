"""API plumbing shared by every app: the error format of DESIGN §6 and small helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError, Invalid

# The ``{code}`` of a brief in API paths, typed for the schema (shared by every app's viewsets).
BRIEF_CODE_PARAM = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH)


def _flatten(detail: Any, field: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__", "detail") else str(key)
            if name is not None and name.isdigit():
                name = None  # an item of a list field: report the field itself
            elif field and name:
                name = f"{field}.{name}"
            out.extend(_flatten(value, name or field))
        return out
    if isinstance(detail, list):
        out = []
        for item in detail:
            out.extend(_flatten(item, field))
        return out
    code = getattr(detail, "code", None) or "invalid"
    return [{"code": str(code), "message": str(detail), "field": field}]


def request_object(request) -> Mapping[str, Any]:
    """The request body as a mapping; a JSON array, string or number is a 400, not a 500."""
    data = request.data
    if not isinstance(data, Mapping):
        raise Invalid(
            gettext("El cuerpo de la solicitud debe ser un objeto JSON."), code="not_an_object"
        )
    return data


def form_data(form) -> dict[str, Any]:
    """A Django form's cleaned data, or :class:`Invalid` (a structured 400) with every error."""
    if form.is_valid():
        return form.cleaned_data
    errors = [
        {"code": e["code"] or "invalid", "message": e["message"], "field": field}
        for name, items in form.errors.get_json_data().items()
        for e in items
        for field in [None if name == "__all__" else name]
    ]
    raise Invalid(errors[0]["message"], errors=errors)


def error_response(code: str, message: str, *, status_code: int, field: str | None = None):
    return Response(
        {"errors": [{"code": code, "message": message, "field": field}]}, status=status_code
    )


def exception_handler(exc, context):
    """Render every API error as ``{"errors": [{"code", "message", "field"}]}``."""
    if isinstance(exc, DomainError):
        return Response({"errors": exc.errors}, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("No encontrado."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or gettext("No tiene permiso para esta acción."))
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's session check, in English: a browser session writing without its CSRF token.
        exc = exceptions.PermissionDenied(
            gettext(
                "Falta el token CSRF de la sesión: envíe la cabecera X-CSRFToken o use un "
                "token de API."
            ),
            code="csrf_failed",
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(detail)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if not isinstance(code, str):
            code = "error"
        errors = [{"code": code, "message": str(detail), "field": None}]
    response.data = {"errors": errors}
    return response


class Router(DefaultRouter):
    """The API's one router: every endpoint is a viewset registered here.

    URL names are part of the contract (templates and clients reverse them), so a viewset may
    keep its own in ``route_names``, route → name: ``{"list": "brief_sweeps"}``, or an
    action's ``url_name``: ``{"control": "sweep_control"}``.
    """

    def get_urls(self):
        urls = super().get_urls()
        for pattern in urls:
            view = pattern.callback
            names = getattr(getattr(view, "cls", None), "route_names", None)
            basename = (getattr(view, "initkwargs", None) or {}).get("basename")
            prefix = f"{basename}-"
            if names and basename and pattern.name and pattern.name.startswith(prefix):
                name = names.get(pattern.name[len(prefix) :], pattern.name)
                # reverse() reads the URL pattern's name, resolve() its route's
                pattern.name = pattern.pattern.name = name
        return urls


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` on every list: at most ``max_limit`` rows a page, and an offset past
    the end is the end (a 64-bit number no longer reaches the database and fails there)."""

    max_limit = 1000

    def get_offset(self, request):
        return min(super().get_offset(request), self.count)
