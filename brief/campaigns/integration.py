"""Hooks into other apps that may not be installed yet (kept in one place)."""

from __future__ import annotations


def base_summary(brief) -> dict | None:
    """The stored quality summary of the brief's contact base, when one was imported."""
    try:
        from brief.contacts.models import ContactBase
    except ImportError:
        return None
    base = ContactBase.objects.current(brief)
    return getattr(base, "summary", None) if base else None
