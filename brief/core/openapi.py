"""The project's schema class (``DEFAULT_SCHEMA_CLASS``; apart from ``schema``, whose view
drf-spectacular builds with this class, and from ``api``, which DRF's settings import).

:class:`AutoSchema` (``DEFAULT_SCHEMA_CLASS``) adds to every operation the error answers the
API really gives, all with the one ``Error`` body of ``brief.core.api.exception_handler``
(``{"errors": [{"code", "message", "field"}]}``):

* 400 — a write (its body, or the action refusing it) or query parameters to validate;
* 401 / 403 — every operation that needs a signed-in user (no token, expired token, role);
* 404 — a path parameter names the object;
* 409 — writes (the workflow state, ``file_altered`` when a stored file is read back,
  ``payload_altered`` when a raw provider body kept in the database is);
* 507 — a write that takes a file the file store may refuse (disk full or read-only).

An operation documents other error statuses with ``extend_schema(responses={…, **errors(…)})``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance, is_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

BLANKLESS = {"uri", "email"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_DESCRIPTIONS = {
    400: "Datos no válidos: cada error con su código, mensaje y campo.",
    401: "Sin autenticar: falta el token, no es válido o expiró (token_expired).",
    403: "Sin permiso: rol, área o proveedor; o una sesión sin su token CSRF (csrf_failed).",
    404: "No existe o no es visible para quien pregunta.",
    409: "Conflicto: el estado no permite la acción (invalid_state, …) o un archivo guardado "
    "fue alterado (file_altered), o un cuerpo crudo de proveedor guardado en la base "
    "(payload_altered).",
    429: "Demasiados intentos fallidos: la cuenta está bloqueada un tiempo (locked_out).",
    507: "El almacenamiento no pudo guardar el archivo (disco lleno o de solo lectura): no se "
    "guardó nada.",
}


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="código estable del error (p. ej. invalid_state)")
    message = serializers.CharField(help_text="explicación en español")
    field = serializers.CharField(allow_null=True, help_text="campo en falta o null")


class ErrorSerializer(serializers.Serializer):
    """Every 4xx/5xx answer of the API."""

    errors = ErrorItemSerializer(many=True)


def errors(*statuses: int) -> dict[int, Any]:
    """``extend_schema(responses=…)`` entries for error statuses the defaults do not cover."""
    return dict.fromkeys(statuses, ErrorSerializer)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error answers the API really gives (module doc).

    More truths drf-spectacular cannot see: only ``list`` routes are paginated (a viewset
    names other paginated actions in ``paginated_actions``) and filtered, and a read-only field of a
    model serializer is ``null`` or ``""`` when its model field allows it (DRF drops
    ``allow_null``/``allow_blank`` from read-only fields).
    """

    def _get_paginator(self):
        action = getattr(self.view, "action", None)
        if action != "list" and action not in getattr(self.view, "paginated_actions", ()):
            return None
        return super()._get_paginator()

    def get_filter_backends(self):
        """A viewset's filters apply to its ``list`` route, not to its other actions."""
        if getattr(self.view, "action", None) != "list":
            return []
        return getattr(self.view, "filter_backends", [])

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        model_field = _model_field(field) if field.read_only else None
        blank = bool(model_field is not None and model_field.blank and _is_text(field))
        if blank and isinstance(field, serializers.ChoiceField) and not field.allow_blank:
            field = copy.copy(field)
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        model_field = _model_field(field) if field.read_only else None
        if model_field is not None and model_field.blank and schema.get("format") in BLANKLESS:
            del schema["format"]  # "" is no URL nor e-mail address

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        model_field = _model_field(field) if field.read_only else None
        if model_field is not None and model_field.null:
            meta["nullable"] = True
        return meta

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status in self._error_statuses(operation):
            responses.setdefault(str(status), self._error_response(status))
        for status, response in responses.items():
            # extend_schema(responses=errors(…)) entries get the shared description too
            if int(status) in ERROR_DESCRIPTIONS and not response.get("description"):
                response["description"] = ERROR_DESCRIPTIONS[int(status)]
        return operation

    def _error_response(self, status: int) -> dict[str, Any]:
        response = self._get_response_for_code(
            ErrorSerializer, str(status), media_types=["application/json"]
        )
        response["description"] = ERROR_DESCRIPTIONS[status]
        return response

    def _error_statuses(self, operation: dict[str, Any]) -> list[int]:
        method = self.method.upper()
        params = operation.get("parameters", [])
        found: list[int] = []
        if method in WRITE_METHODS or any(p.get("in") == "query" for p in params):
            found.append(400)
        if not self._is_public():
            found += [401, 403]
        if any(p.get("in") == "path" for p in params):
            found.append(404)
        if method in WRITE_METHODS and not self._is_public():
            found.append(409)
        if method in WRITE_METHODS and not self._is_public() and self._takes_file():
            found.append(507)
        return found

    def _takes_file(self) -> bool:
        """Whether the request body has a file (a serializer's FileField or a binary part)."""
        request = self.get_request_serializer()
        for item in request.values() if isinstance(request, dict) else [request]:
            if isinstance(item, dict):
                if '"binary"' in json.dumps(item):
                    return True
            elif is_serializer(item):
                fields = force_instance(item).fields.values()
                if any(isinstance(f, serializers.FileField) for f in fields):
                    return True
        return False

    def _is_public(self) -> bool:
        checks = self.view.get_permissions()
        return not checks or any(isinstance(p, AllowAny) for p in checks)


def _model_field(field):
    """The model field behind a serializer field of a ``ModelSerializer``, if any."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return None
    try:
        found = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, Field) else None


def _is_text(field) -> bool:
    return isinstance(field, (serializers.CharField, serializers.ChoiceField))


class OneObjectSchema(AutoSchema):
    """For a viewset whose router ``list`` route answers one object, not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        if getattr(self.view, "action", None) == "list":
            return False
        return super()._is_list_view(serializer)
