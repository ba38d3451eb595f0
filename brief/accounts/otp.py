"""Two-step sign-in with a time-based code (TOTP, RFC 6238), optional per user (django-otp).

A user turns it on at «Verificación en dos pasos» (``/cuenta/verificacion/``): Brief makes an
unconfirmed :class:`~django_otp.plugins.otp_totp.models.TOTPDevice`, shows its QR code and key
for an authenticator app, and confirms it with a first code. From then on the password alone
does not sign in: the login page (``views.LoginView``) keeps the checked user in the session for
:data:`PENDING_SECONDS` and asks for the code (``views.otp_verify``); the token endpoint asks for
``otp`` in the body. Wrong codes are throttled by django-otp (a growing delay per device), a
used code is refused a second time. Turning it off needs a current code. Every change and
every refused code is audit-logged.
"""

from __future__ import annotations

import base64

import segno
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from brief.core.audit import record
from brief.core.exceptions import Invalid

PENDING_SECONDS = 300
DEVICE_NAME = "Brief"


def device_of(user) -> TOTPDevice | None:
    """The user's confirmed device, if they turned two-step sign-in on."""
    if user is None or not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device shown while the user sets it up (made once, reused)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` URI of ``device`` as an inline SVG QR code."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR")


def key_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app without a camera."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def check(device: TOTPDevice, token: str) -> None:
    """Accept ``token`` for ``device`` or raise :class:`Invalid` with the reason in Spanish."""
    token = (token or "").strip().replace(" ", "")
    allowed, _why = device.verify_is_allowed()
    if not allowed:
        raise Invalid(
            gettext("Demasiados códigos errados: espere unos segundos y vuelva a intentar."),
            code="otp_throttled",
            field="otp",
        )
    if not (token.isdigit() and len(token) == device.digits and device.verify_token(token)):
        record("OTP_REFUSED", actor=device.user, details={"device": device.pk})
        raise Invalid(
            gettext("Código incorrecto o vencido: escriba el código que muestra su aplicación."),
            code="otp_invalid",
            field="otp",
        )


def confirm(user, token: str, *, request=None) -> TOTPDevice:
    """Turn two-step sign-in on with the first code of the pending device."""
    device = pending_device(user)
    check(device, token)
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record("OTP_ENABLED", actor=user, request=request)
    return device


def disable(user, token: str, *, request=None) -> None:
    """Turn it off; a current code proves the user still holds the device."""
    device = device_of(user)
    if device is None:
        raise Invalid(gettext("La verificación en dos pasos no está activa."), code="otp_off")
    check(device, token)
    TOTPDevice.objects.filter(user=user).delete()
    record("OTP_DISABLED", actor=user, request=request)
