"""``brief bench [--json] [--only NAME] [--size N]``: run the benchmarks of every app."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from brief.core.bench import discover, finish


class Command(BaseCommand):
    help = "Mide el rendimiento de Brief contra referencias medidas en la misma corrida."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="una línea JSON por medición")
        parser.add_argument("--only", action="append", default=[], help="solo estas mediciones")
        parser.add_argument("--workdir", help="carpeta de trabajo (por defecto, una temporal)")
        parser.add_argument(
            "--size",
            type=int,
            help="tamaño de cada medición (filas o mensajes) en vez del de su nombre",
        )

    def handle(self, *args, **opts):
        with tempfile.TemporaryDirectory(prefix="brief-bench-") as tmp:
            workdir = Path(opts["workdir"] or tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            for bench in discover():
                short = bench.__name__.removeprefix("bench_")
                if opts["only"] and not any(o in short for o in opts["only"]):
                    continue
                sized = {"n": opts["size"]} if opts["size"] else {}
                result = finish(bench(workdir, **sized))
                if opts["json"]:
                    self.stdout.write(json.dumps(result, ensure_ascii=False))
                else:
                    self.stdout.write(
                        f"{result['name']:<28} {result['value']:>10} {result['unit']:<6} "
                        f"referencia {result['reference_value']} ({result['reference']}) "
                        f"razón {result['ratio']}"
                    )
