"""Site-wide middleware."""

from __future__ import annotations

from django.conf import settings
from django.urls import resolve
from django.utils.cache import add_never_cache_headers


class MachinePaths:
    """Requests to ``BRIEF_MACHINE_PATHS`` (provider callbacks) skip the middleware below.

    No person makes these requests, so they need no session, user, CSRF cookie, locale,
    flash messages or htmx; at thousands of callbacks a second that work is a good share of
    each request. The view is resolved and called here; the host is still checked against
    ``ALLOWED_HOSTS`` (as ``CommonMiddleware`` would), and the middleware above (security
    headers, static files) still runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.BRIEF_MACHINE_PATHS)

    def __call__(self, request):
        if not self.prefixes or not request.path_info.startswith(self.prefixes):
            return self.get_response(request)
        request.get_host()  # DisallowedHost → 400
        match = resolve(request.path_info)  # Resolver404 → 404
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)


class NoStore:
    """Nothing a signed-in person sees, and no API answer, is kept by a browser or proxy cache.

    Pages, downloads of bases and recordings and API answers carry personal data: they are
    sent with ``Cache-Control: no-store`` (and its older equivalents). Static files and the
    anonymous pages (login, the public certificate check) keep their own headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path_info.startswith("/api/"):
            add_never_cache_headers(response)
        return response
