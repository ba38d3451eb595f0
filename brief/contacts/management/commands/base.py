"""``brief base check FILE``: the quality summary of a contact base, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from brief.campaigns.vocabulary import CHANNEL_LABELS, CHANNELS, REJECT_CODES, REJECT_LABELS
from brief.contacts.cleaning import CleanResult, check_file
from brief.contacts.reader import DEFAULT_MAX_BYTES, BaseFileError
from brief.core.tabular import formula_safe

DELIMITER_NAMES = {",": "coma", ";": "punto y coma", "\t": "tabulador", "|": "barra vertical"}
ISSUE_LABELS = {
    "invalid_phone": "Con teléfono inválido",
    "landline_only": "Solo con teléfono fijo",
    "invalid_email": "Con correo inválido",
}


def _n(value: int) -> str:
    """1234567 -> '1.234.567' (Colombian thousands separator)."""
    return f"{value:,}".replace(",", ".")


def render_summary(summary: dict[str, Any], *, name: str, channels: tuple[str, ...]) -> str:
    """The summary as a readable Spanish table."""
    width = 34
    lines = [f"Calidad de la base: {name}"]
    if summary.get("delimiter"):
        delim = summary["delimiter"]
        lines.append(
            f"Codificación: {summary['encoding']} · separador: «{delim}» "
            f"({DELIMITER_NAMES.get(delim, delim)})"
        )
    else:
        lines.append("Formato: hoja de cálculo")
    lines.append("")

    def row(label: str, value: int, indent: int = 0) -> None:
        lines.append(f"{' ' * indent}{label:<{width - indent}}{_n(value):>12}")

    row("Registros en el archivo", summary["rows_total"])
    row("Registros depurados (usables)", summary["rows_usable"])
    row("Registros rechazados", summary["rows_rejected"])
    for code in REJECT_CODES:
        row(REJECT_LABELS[code], summary["rejected"][code], 2)
    lines.append("Observaciones (registros conservados)")
    for code, label in ISSUE_LABELS.items():
        row(label, summary["field_issues"][code], 2)
    row("En el exterior", summary["abroad"], 2)
    lines.append("Usables por canal")
    for channel in CHANNELS:
        mark = "" if channel in channels else " (no pedido)"
        row(f"{CHANNEL_LABELS[channel]}{mark}", summary["usable_by_channel"][channel], 2)
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Bases de contactos: «check» revisa la calidad de una base sin guardarla."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACCIÓN")
        check = actions.add_parser(
            "check", help="resumen de calidad de una base (CSV o XLSX), sin guardar nada"
        )
        check.add_argument("file", metavar="ARCHIVO", help="base en CSV o XLSX")
        check.add_argument(
            "--channels",
            default=None,
            help=f"canales de la campaña separados por comas ({','.join(CHANNELS)}); "
            "por defecto, todos",
        )
        check.add_argument("--json", action="store_true", help="imprime el resumen en JSON")
        check.add_argument(
            "--rejects", metavar="SALIDA.csv", help="escribe los registros rechazados con su motivo"
        )
        check.add_argument(
            "--sheet", metavar="HOJA", help="hoja del XLSX (por defecto, la primera)"
        )

    def handle(self, *args, **opts):
        if opts["action"] == "check":
            self.check_base(opts)

    def check_base(self, opts: dict[str, Any]) -> None:
        max_bytes = getattr(
            settings,
            "BRIEF_BASE_MAX_BYTES",
            getattr(settings, "BRIEF_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES),
        )
        path = Path(opts["file"])
        try:
            result: CleanResult = check_file(
                path, channels=opts["channels"], sheet=opts["sheet"], max_bytes=max_bytes
            )
        except BaseFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if opts["rejects"]:
            out = Path(opts["rejects"])
            try:
                # Same guard as the stored rejects file: a value never runs as a formula.
                formula_safe(result.rejects).write_csv(out)
            except OSError as exc:
                raise CommandError(
                    f"No se pudo escribir el archivo de rechazados «{out}»: {exc.strerror}",
                    returncode=2,
                ) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(result.summary, ensure_ascii=False))
            return
        self.stdout.write(render_summary(result.summary, name=path.name, channels=result.channels))
        if opts["rejects"]:
            self.stdout.write(
                f"\nRechazados escritos en {opts['rejects']} "
                f"({_n(result.summary['rows_rejected'])} registros)."
            )
