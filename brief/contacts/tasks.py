"""Background work of contact bases (thin: IDs in, importer out)."""

from celery import shared_task

from . import importer


@shared_task(name="brief.contacts.tasks.import_base", acks_late=True)
def import_base(base_id: int) -> str:
    """Import one base; safe to run twice (only a ``pending`` base is claimed)."""
    return importer.run_import(base_id)


@shared_task(name="brief.contacts.tasks.reap_stale_imports")
def reap_stale_imports() -> int:
    """Fail imports whose worker died and delete what they wrote."""
    return importer.reap_stale()
