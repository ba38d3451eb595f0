"""``brief beat``: the Celery scheduler for periodic work (SLA scan, reconciliation)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from brief.celery import app


class Command(BaseCommand):
    help = "Inicia el planificador de tareas periódicas (Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, **opts):
        app.start(["beat", f"--loglevel={opts['loglevel']}"])
