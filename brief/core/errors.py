"""Error pages in Spanish; JSON for API paths."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _respond(request, status: int, code: str, message: str):
    if request.path.startswith(("/api/", "/hooks/")):
        return JsonResponse(
            {"errors": [{"code": code, "message": message, "field": None}]}, status=status
        )
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, "bad_request", _("La solicitud no es válida."))


def permission_denied(request, exception=None):
    message = (
        str(exception) if exception and str(exception) else _("No tiene permiso para ver esto.")
    )
    return _respond(request, 403, "permission_denied", message)


def page_not_found(request, exception=None):
    return _respond(request, 404, "not_found", _("La página que busca no existe."))


def server_error(request):
    return _respond(
        request, 500, "server_error", _("Ocurrió un error inesperado. Ya quedó registrado.")
    )


def csrf_failure(request, reason: str = ""):
    """The CSRF refusal (``CSRF_FAILURE_VIEW``): Spanish, and JSON for API paths."""
    return _respond(
        request,
        403,
        "csrf_failed",
        _("El formulario venció o no se envió desde Brief. Recargue la página e intente de nuevo."),
    )
