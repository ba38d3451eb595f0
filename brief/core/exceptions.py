"""Domain errors raised by actions; the API and the views turn them into 4xx answers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """Base of expected, user-facing refusals (never a 500)."""

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: list[dict] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.errors = errors or [{"code": self.code, "message": message, "field": field}]


class Refusal(DomainError):
    """A refusal a page shows on its form or as a message (Invalid, Conflict).

    Views catch this, not :class:`DomainError`: :class:`Forbidden` is a ``PermissionDenied``
    and must reach Django, which renders the 403 page.
    """


class Invalid(Refusal):
    """Input or preconditions are not met (HTTP 400)."""


class Forbidden(DomainError, PermissionDenied):
    """Wrong role, area or provider (HTTP 403; views render the 403 page for it)."""

    status_code = 403
    code = "permission_denied"


class Conflict(Refusal):
    """The object is not in a state that allows the action (HTTP 409)."""

    status_code = 409
    code = "invalid_state"


class StorageUnavailable(Refusal):
    """The file store cannot take a file (disk full, quota, read-only): HTTP 507; the partial
    file is removed and nothing refers to it (``brief.core.storage``)."""

    status_code = 507
    code = "storage_unavailable"
