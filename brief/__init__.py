"""Brief: campaign operations for ICETEX (procedure M5-1-22, form F559)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
