"""Rejects downloads never hold a live spreadsheet formula."""

from __future__ import annotations

import csv

from django.core.management import call_command


def test_cli_rejects_file_never_holds_a_live_formula(tmp_path):
    # given a rejected row (no document) whose name is a formula
    source = tmp_path / "base.csv"
    source.write_text(
        'documento,nombres,celular\n,"=HYPERLINK(""http://x"")",3001234567\n'
        "1020304050,Ana,3001234567\n",
        encoding="utf-8",
    )
    out = tmp_path / "rechazados.csv"
    # when
    call_command("base", "check", str(source), "--json", "--rejects", str(out))
    # then no cell starts with a formula character
    with out.open(encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "-", "@"}]
