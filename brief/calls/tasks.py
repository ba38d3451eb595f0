"""Background work of the contact center (thin: IDs in, actions out)."""

from celery import shared_task

from . import actions


@shared_task(name="brief.calls.tasks.import_interactions", acks_late=True)
def import_interactions(import_id: int) -> str:
    """Run one bulk import of interactions; safe to run twice (only a pending one is claimed)."""
    return actions.run_interaction_import(import_id)


@shared_task(name="brief.calls.tasks.reap_stale_interaction_imports")
def reap_stale_interaction_imports() -> int:
    """Fail interaction imports whose worker died (nothing of them was stored)."""
    return actions.reap_stale_imports()
