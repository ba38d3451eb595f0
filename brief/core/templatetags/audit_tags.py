"""Filters that show audit events in Spanish (labels from :mod:`brief.core.audit_labels`)."""

from __future__ import annotations

from typing import Any

from django import template

from brief.core import audit_labels

register = template.Library()


@register.filter
def event_label(code: str) -> str:
    """``{{ event.type|event_label }}``: «Brief devuelto» for ``BRIEF_RETURNED``."""
    return audit_labels.event_label(code)


@register.filter
def detail_items(details: Any) -> list[tuple[str, str]]:
    """``{{ event.details|detail_items }}``: (Spanish key, readable value) pairs."""
    return audit_labels.detail_items(details)
