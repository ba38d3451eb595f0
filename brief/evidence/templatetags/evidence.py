"""Template filters for the evidence buttons other apps' pages show (the same checks the
actions run, so a button is shown only to whom the action accepts)."""

from __future__ import annotations

from django import template

from brief.campaigns import permissions

register = template.Library()


@register.filter
def may_certify(user, brief) -> bool:
    return permissions.may_certify(user, brief)


@register.filter
def may_export_expediente(user, brief) -> bool:
    return permissions.may_export_expediente(user, brief)
