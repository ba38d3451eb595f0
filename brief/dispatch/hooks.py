"""Provider status callbacks: one URL per provider account, ``/hooks/<code>/``.

Idempotent and out-of-order safe (statuses only move forward); unknown message ids answer
200 so the provider stops retrying; a body the provider's adapter cannot parse is a 400.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .engine import apply_status_updates
from .models import ProviderAccount
from .providers.base import get_provider

log = logging.getLogger(__name__)


def handle_payload(account_code: str, payload: dict) -> dict:
    """Apply a parsed payload of ``account_code`` (used by the simulated provider's task)."""
    account = ProviderAccount.objects.get(code=account_code)
    provider = get_provider(account)
    updates = provider.parse_payload(payload)
    return apply_status_updates(account.code, updates, store=provider.store_events)


@csrf_exempt
@require_POST
def provider_callback(request, code: str):
    account = ProviderAccount.objects.filter(code=code).first()
    if account is None:
        return JsonResponse(
            {"errors": [{"code": "not_found", "message": "Proveedor desconocido.", "field": None}]},
            status=404,
        )
    provider = get_provider(account)
    verify = getattr(provider, "verify_callback", None)
    if verify is not None and not verify(request):
        return JsonResponse(
            {"errors": [{"code": "bad_signature", "message": "Firma inválida.", "field": None}]},
            status=403,
        )
    try:
        updates = provider.parse_callback(request)
    except (ValueError, KeyError, TypeError) as exc:
        log.info("unparseable callback for %s: %s", code, exc)
        return JsonResponse(
            {"errors": [{"code": "bad_payload", "message": "Contenido no válido.", "field": None}]},
            status=400,
        )
    result = apply_status_updates(account.code, updates, store=provider.store_events)
    return JsonResponse({"ok": True, **result})
