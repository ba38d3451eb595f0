"""``brief serve``: gunicorn for the web, plus a Celery worker and beat; Ctrl-C stops all.

``--hooks-bind`` adds a second gunicorn pool for the providers' callbacks (``/hooks/``): the
reverse proxy sends that path there, so a flood of receipts never waits behind people's pages
and people's pages never wait behind it (README «Escalar»).

``--demo-peers`` also runs the command ``demo_peers`` (the demo's loopback SMSC and WhatsApp
Cloud API stand-in). It is started by its name, like ``worker`` and ``beat``: the demo layer
owns it and the core never imports it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Sirve Brief (gunicorn) con un trabajador de tareas y el planificador."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BRIEF_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--hooks-bind",
            default=os.environ.get("BRIEF_HOOKS_BIND", ""),
            help="dirección de un segundo grupo de procesos solo para /hooks/ (vacío: no)",
        )
        parser.add_argument(
            "--hooks-workers", type=int, default=int(os.environ.get("HOOKS_WORKERS", 1))
        )
        parser.add_argument("--hooks-threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="solo la web")
        parser.add_argument("--no-beat", action="store_true", help="sin planificador")
        parser.add_argument(
            "--demo-peers",
            action="store_true",
            help="también el SMSC y la API de WhatsApp locales de la demostración",
        )

    def handle(self, *args, **opts):
        procs = [subprocess.Popen(cmd, start_new_session=True) for cmd in commands_for(opts)]

        def stop(*_):
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        self.stdout.write(f"Brief en http://{opts['bind']}/ (Ctrl-C para detener)")
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
            self.stderr.write("Un proceso terminó; se detienen los demás.")
        except KeyboardInterrupt:
            self.stdout.write("Deteniendo…")
        finally:
            stop()


def commands_for(opts: dict) -> list[list[str]]:
    """The processes ``serve`` runs for these options (the demo's peers first, so that the
    worker's SMPP bind finds its SMSC)."""
    python = sys.executable
    cli = [python, "-m", "brief.cli"]
    commands = []
    if opts.get("demo_peers"):
        commands.append([*cli, "demo_peers"])
    commands.append(gunicorn(opts["bind"], opts["workers"], opts["threads"]))
    if opts.get("hooks_bind"):
        commands.append(
            gunicorn(opts["hooks_bind"], opts.get("hooks_workers", 1), opts.get("hooks_threads", 8))
        )
    if not opts.get("no_worker"):
        commands.append([*cli, "worker", "--loglevel=WARNING"])
    if not opts.get("no_beat"):
        commands.append([*cli, "beat", "--loglevel=WARNING"])
    return commands


def gunicorn(bind: str, workers: int, threads: int) -> list[str]:
    """One gunicorn pool of the WSGI app (the web's, or the callbacks' own)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "brief.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]
