"""The audit log: :func:`record` is the one way to write an :class:`AuditEvent`."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from .models import AuditEvent


def client_ip(request) -> str | None:
    """The client's address as the web server saw it (no proxy headers trusted)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    type: str,
    *,
    actor=None,
    target: Model | None = None,
    details: dict[str, Any] | None = None,
    request=None,
    ip: str | None = None,
) -> AuditEvent:
    """Write one audit event. ``type`` is past tense and upper case (``BRIEF_FORWARDED``).

    Call it inside the transaction of the change it describes, so both land or neither does.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    actor_obj = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=getattr(actor, "username", "") or ("sistema" if actor is None else ""),
        type=type,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        details=details or {},
        ip=ip or client_ip(request),
    )
