"""Background work of the contact center (thin: IDs in, actions out)."""

from celery import shared_task

from . import actions


@shared_task(name="brief.calls.tasks.import_interactions", acks_late=True)
def import_interactions(import_id: int) -> str:
    """Run one bulk import of interactions; safe to run twice (only a pending one is claimed)."""
    return actions.run_interaction_import(import_id)
