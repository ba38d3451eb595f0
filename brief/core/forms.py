"""Form helpers shared by every app's views."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django import forms

from .exceptions import DomainError


def add_domain_errors(
    form: forms.BaseForm,
    exc: DomainError,
    *,
    rename: Mapping[str | None, str | None] | None = None,
    fields: Collection[str] | None = None,
    fields_only: bool = False,
) -> None:
    """Put an action's refusal on ``form``: each error on its field when the form has that
    field, else on the form as a whole.

    ``rename`` maps the action's field names to the form's (``None`` is the error without a
    field); ``fields`` limits which form fields take errors; with ``fields_only`` the errors
    that fit no field are dropped (for pages that already show them as messages).
    """
    rename = rename or {}
    for error in exc.errors:
        field = error.get("field")
        field = rename.get(field, field)
        message = error.get("message") or exc.message
        if field in form.fields and (fields is None or field in fields):
            form.add_error(field, message)
        elif not fields_only:
            form.add_error(None, message)
