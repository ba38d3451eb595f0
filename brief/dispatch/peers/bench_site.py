"""URLs of the ``whatsapp_callbacks`` benchmark's server: Brief's own, plus the reference view
(a bare Django view that only checks the WhatsApp signature)."""

from __future__ import annotations

import hashlib
import hmac
import os

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

_KEY = os.environ.get("BENCH_APP_SECRET", "").encode()


@csrf_exempt
def verify_only(request, code: str) -> HttpResponse:
    given = request.META.get("HTTP_X_HUB_SIGNATURE_256", "")
    mac = "sha256=" + hmac.new(_KEY, request.body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(given.encode(), mac.encode())
    return HttpResponse("ok" if ok else "no", status=200 if ok else 403)


# Brief's URLs by dotted path: brief.urls imports every app, dispatch must not (README "Layers").
urlpatterns = [path("bench/verify-only/<slug:code>/", verify_only), path("", include("brief.urls"))]
