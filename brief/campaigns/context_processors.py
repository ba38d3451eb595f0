"""Template context of the shell that campaigns owns: the bell's unread count."""

from __future__ import annotations


def notifications(request) -> dict[str, int]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": user.notifications.filter(read_at__isnull=True).count()}
