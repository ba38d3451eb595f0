"""``brief worker``: a Celery worker (threads pool by default, good for the embedded broker)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from brief.celery import app


class Command(BaseCommand):
    help = "Inicia un trabajador de tareas en segundo plano (Celery)."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--pool", default="threads", choices=["threads", "solo", "prefork"])
        parser.add_argument("--beat", action="store_true", help="también el planificador (beat)")
        parser.add_argument(
            "--queues",
            default=",".join(settings.BRIEF_QUEUES),
            help="colas separadas por coma (por omisión, todas)",
        )
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument(
            "-n", "--hostname", default="", help="nombre del trabajador (varios en una máquina)"
        )

    def handle(self, *args, **opts):
        argv = [
            "worker",
            f"--pool={opts['pool']}",
            f"--concurrency={opts['concurrency']}",
            f"--loglevel={opts['loglevel']}",
            "--without-gossip",
            "--without-mingle",
        ]
        if opts["queues"]:
            argv.append(f"--queues={opts['queues']}")
        if opts["hostname"]:
            argv.append(f"--hostname={opts['hostname']}")
        if opts["beat"]:
            argv.append("--beat")
        app.worker_main(argv)
