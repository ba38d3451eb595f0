"""``brief demo_peers``: the demo's loopback SMSC and WhatsApp Cloud API stand-in (started by
``brief serve --demo-peers``); Ctrl-C or SIGTERM stops them."""

from __future__ import annotations

import contextlib
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from brief.demo.channels import PeerAddresses, running_peers


class Command(BaseCommand):
    help = "SMSC (SMPP 3.4) y API de WhatsApp Cloud locales para la demostración."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pace", type=float, default=1.0, help="factor de las demoras de los estados"
        )

    def handle(self, *args, **opts):
        addresses = PeerAddresses.from_settings()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.ExitStack() as stack:
            try:
                smsc, graph = stack.enter_context(running_peers(addresses, pace=opts["pace"]))
            except OSError as exc:
                raise CommandError(
                    f"No se pudo escuchar en los puertos de demostración "
                    f"({addresses.smsc_port}, {addresses.graph_port}): {exc}. "
                    "Use BRIEF_DEMO_SMSC_PORT / BRIEF_DEMO_GRAPH_PORT."
                ) from exc
            self.stdout.write(
                f"Pares de demostración: SMSC en 127.0.0.1:{smsc.port}, "
                f"WhatsApp Cloud API en {graph.base_url} → {addresses.hooks_url}"
            )
            self.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):
                while not stop.wait(0.5):
                    pass
