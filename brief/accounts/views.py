"""Sign-in pages: the login (two steps when the user has a TOTP device) and its set-up."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from brief.core.audit import record
from brief.core.exceptions import Invalid

from . import otp
from .models import User

PENDING = "otp_pending"


class LoginView(auth_views.LoginView):
    """The password step; a user with two-step sign-in on is sent to the code step, signed in
    only once the code is right."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if otp.device_of(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return HttpResponseRedirect(reverse("accounts:otp_verify"))


def _pending_user(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > otp.PENDING_SECONDS:
        return None, {}
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The code step of a two-step sign-in."""
    user, pending = _pending_user(request)
    device = otp.device_of(user)
    if user is None or device is None:
        request.session.pop(PENDING, None)
        messages.error(request, _("La verificación venció: ingrese de nuevo con su clave."))
        return redirect("accounts:login")
    error = ""
    if request.method == "POST":
        try:
            otp.check(device, request.POST.get("otp", ""))
        except Invalid as exc:
            error = exc.message
        else:
            request.session.pop(PENDING, None)
            auth.login(request, user, backend=pending["backend"])
            record("OTP_VERIFIED", actor=user, request=request)
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = reverse("core:home")
            return HttpResponseRedirect(target)
    return render(
        request, "accounts/otp_verify.html", {"error": error}, status=400 if error else 200
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Turn two-step sign-in on (QR code, key, first code) or off (a current code)."""
    user = request.user
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "disable":
                otp.disable(user, request.POST.get("otp", ""), request=request)
                messages.success(request, _("Verificación en dos pasos desactivada."))
            else:
                otp.confirm(user, request.POST.get("otp", ""), request=request)
                messages.success(
                    request,
                    _("Verificación en dos pasos activada: desde ahora Brief le pedirá el código."),
                )
            return redirect("accounts:otp_setup")
        except Invalid as exc:
            error = exc.message
    device = otp.device_of(user)
    context = {"active": device is not None, "error": error}
    if device is None:
        pending = otp.pending_device(user)
        context |= {"qr": otp.qr_svg(pending), "key": otp.key_text(pending)}
    return render(request, "accounts/otp_setup.html", context, status=400 if error else 200)


def admin_login(request):
    """The admin signs in through Brief's login (lockout and two-step sign-in included)."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
