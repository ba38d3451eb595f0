"""Brute-force lockout (django-axes): the answer given while an account is locked.

Axes counts failed logins on the login page, the admin and the token endpoint (each calls
``authenticate`` with the request); after ``AXES_FAILURE_LIMIT`` failures for a username the
account is refused for ``AXES_COOLOFF_TIME``, even with the right password. This callable
answers the API with the structured error of DESIGN §6 and people with a page in Spanish.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext


def minutes() -> int:
    """The cool-off period in whole minutes."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def message() -> str:
    return gettext(
        "Demasiados intentos fallidos: la cuenta queda bloqueada %(minutes)s minutos. "
        "Espere o pida a un administrador que la desbloquee."
    ) % {"minutes": minutes()}


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 with the reason: JSON under ``/api/``, the lockout page elsewhere."""
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"errors": [{"code": "locked_out", "message": message(), "field": None}]},
            status=429,
        )
    else:
        response = render(request, "accounts/locked_out.html", {"message": message()}, status=429)
    response["Retry-After"] = str(minutes() * 60)
    return response
