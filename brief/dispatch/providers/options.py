"""Provider kinds: each kind's adapter (dotted path), channels and option names, in one table.

The provider-accounts API, the admin and the README read this table; adapters read their
secrets through :func:`resolve_secret`, so a secret may be written in the options, or named as a
file (``<name>_file``, read at use time) or an environment variable (``<name>_env``).
Secrets are write-only: :func:`mask_options` hides them in every answer and form.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

#: Option names that hold secrets (never echoed back).
SECRET_NAMES = frozenset(
    {
        "password",
        "auth_token",
        "access_token",
        "app_secret",
        "callback_secret",
        "imap_password",
        "verify_token",
        "api_key",
    }
)
#: What a masked secret looks like in answers; sending it back keeps the stored value.
MASK = "***"
#: Options every kind takes (read by the engine, not the adapter).
COMMON_OPTIONS = ("per_recipient_seconds", "breaker_failures", "breaker_cooldown_seconds")
SECRET_SOURCES = ("_file", "_env")


@dataclass(frozen=True)
class KindSpec:
    """One provider kind: its adapter, the channels it carries and its option names."""

    backend: str
    channels: tuple[str, ...]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.required, *self.optional, *COMMON_OPTIONS)


_IMAP = ("imap_host", "imap_port", "imap_user", "imap_password", "imap_folder", "imap_ssl")
_TWILIO_OPTIONAL = ("base_url", "timeout", "concurrency")
_TWILIO_REQUIRED = ("account_sid", "auth_token", "from")

# Adapters written by other parts of issue 10 are named by dotted path before they exist;
# an account of a kind whose module is missing fails when it sends, not when it is saved.
KINDS: dict[str, KindSpec] = {
    "smtp": KindSpec(
        backend="brief.dispatch.providers.smtp.SMTPProvider",
        channels=("email",),
        required=("host",),
        optional=(
            "port",
            "username",
            "password",
            "use_tls",
            "start_tls",
            "timeout",
            "pool_size",
            "sender",
            "domain",
            "verp_domain",
            "callback_secret",
            *_IMAP,
        ),
    ),
    "smpp": KindSpec(
        backend="brief.dispatch.providers.smpp.SMPPProvider",
        channels=("sms",),
        required=("host", "port", "system_id", "password"),
        optional=(
            "system_type",
            "source_addr",
            "source_addr_ton",
            "source_addr_npi",
            "window",
            "enquire_link_seconds",
            "dest_addr_ton",
            "dest_addr_npi",
            "gsm7_packing",
            "receipt_id_format",
            "timezone",
            "connect_timeout",
            "response_timeout",
            "reconnect_min_seconds",
            "reconnect_max_seconds",
            "throttle_pause_seconds",
        ),
    ),
    "twilio_sms": KindSpec(
        backend="brief.dispatch.providers.twilio.TwilioSMSProvider",
        channels=("sms",),
        required=_TWILIO_REQUIRED,
        optional=_TWILIO_OPTIONAL,
    ),
    "twilio_voice": KindSpec(
        backend="brief.dispatch.providers.twilio.TwilioVoiceProvider",
        channels=("voice",),
        required=_TWILIO_REQUIRED,
        optional=(*_TWILIO_OPTIONAL, "language", "voice", "machine_detection", "record"),
    ),
    "whatsapp_cloud": KindSpec(
        backend="brief.dispatch.providers.whatsapp_cloud.WhatsAppCloudProvider",
        channels=("whatsapp",),
        required=("phone_number_id", "access_token", "app_secret"),
        optional=("base_url", "api_version", "waba_id", "verify_token", "timeout"),
    ),
    "simulated": KindSpec(
        backend="brief.dispatch.providers.simulated.SimulatedProvider",
        channels=("sms", "email", "whatsapp", "voice", "call"),
        optional=(
            "seed",
            "failure_rate",
            "delivery_rate",
            "bounce_rate",
            "read_rate",
            "delay_seconds",
            "callback_secret",
        ),
    ),
}


def kind_for_backend(backend: str) -> str:
    """The kind whose adapter is ``backend`` ("" for adapters outside the table, e.g. locmem)."""
    return next((kind for kind, spec in KINDS.items() if spec.backend == backend), "")


def _base_name(key: str) -> str:
    for suffix in SECRET_SOURCES:
        if key.endswith(suffix) and key[: -len(suffix)] in SECRET_NAMES:
            return key[: -len(suffix)]
    return key


def option_errors(kind: str, options: Any) -> list[str]:
    """Spanish reasons why ``options`` do not fit ``kind`` (empty when they do)."""
    spec = KINDS.get(kind)
    if spec is None:
        return [gettext("Tipo de proveedor desconocido: %(kind)s.") % {"kind": kind}]
    if not isinstance(options, dict):
        return [gettext("Las opciones deben ser un objeto JSON.")]
    errors = []
    unknown = sorted(k for k in options if _base_name(str(k)) not in spec.names)
    if unknown:
        errors.append(
            gettext("Opciones desconocidas para %(kind)s: %(unknown)s. Admitidas: %(names)s.")
            % {"kind": kind, "unknown": ", ".join(unknown), "names": ", ".join(spec.names)}
        )
    for name in spec.required:
        sources = (
            [name, *(f"{name}{s}" for s in SECRET_SOURCES)] if name in SECRET_NAMES else [name]
        )
        if all(options.get(s) in (None, "") for s in sources):
            errors.append(gettext("Falta la opción obligatoria «%(name)s».") % {"name": name})
    for key, value in options.items():
        if _base_name(str(key)) in SECRET_NAMES and not isinstance(value, str):
            errors.append(gettext("La opción «%(key)s» debe ser texto.") % {"key": key})
        if key in COMMON_OPTIONS and value is not None and not _positive_number(value):
            errors.append(
                gettext("La opción «%(key)s» debe ser un número positivo.") % {"key": key}
            )
    return errors


def _positive_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e9


def mask_options(options: dict) -> dict:
    """The options with every secret value replaced by :data:`MASK` (file and env names stay)."""
    return {
        k: (MASK if k in SECRET_NAMES and v not in (None, "") else v) for k, v in options.items()
    }


def merge_options(current: dict, given: dict, *, partial: bool) -> dict:
    """New options from an edit: a secret sent back as :data:`MASK` keeps its stored value;
    with ``partial`` the given names are merged into the current ones (``null`` removes one)."""
    merged = dict(current) if partial else {}
    for key, value in given.items():
        if value == MASK and key in SECRET_NAMES:
            if key in current:
                merged[key] = current[key]
            continue
        if value is None and partial:
            merged.pop(key, None)
            continue
        merged[key] = value
    return merged


def resolve_secret(options: dict, name: str) -> str:
    """A secret from the options, from the file ``<name>_file`` or the variable ``<name>_env``.

    Read each time it is asked for, so a rotated file or variable takes effect without an edit.
    """
    value = options.get(name)
    if value:
        return str(value)
    path = options.get(f"{name}_file")
    if path:
        try:
            return Path(str(path)).read_text(encoding="utf-8").strip()
        except OSError:
            return ""
    variable = options.get(f"{name}_env")
    if variable:
        return os.environ.get(str(variable), "")
    return ""
