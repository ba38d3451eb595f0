"""Celery tasks of evidence (thin: they call actions)."""

from __future__ import annotations

from celery import shared_task

from . import actions


@shared_task
def purge_expired_files() -> int:
    """Daily: delete the stored files past their retention date (each one logged)."""
    return len(actions.purge_expired_files())
