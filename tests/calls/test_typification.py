"""Reading typification trees: the default tree and the import rows (pure)."""

from __future__ import annotations

from brief.calls import typification


def test_default_tree_has_the_five_categories_and_passes_flags_down():
    roots = typification.default_tree()
    assert [r.label for r in roots] == [
        "Contacto directo",
        "Contacto indirecto",
        "No contacto",
        "Volver a llamar",
        "No llamar",
    ]
    leaves = dict(typification.leaves(roots))
    delivered = leaves["Contacto directo › Efectivo › Información entregada"]
    assert delivered.flags == {"counts_as_contact": True, "right_party": True, "effective": True}
    assert leaves["No contacto › No contesta"].flags == {"retry_after_hours": 2}
    assert leaves["No llamar › Solicita no ser contactado"].flags["do_not_contact"] is True
    assert leaves["Contacto indirecto › No conocen al titular"].flags == {
        "counts_as_contact": True,
        "invalidates_number": True,
    }


def test_rows_build_a_tree_with_implicit_ancestors():
    headers = ["Categoría", "Resultado", "Detalle", "Código", "Efectivo", "Reintentar (horas)"]
    rows = [
        (2, ["Contacto", "Acepta", "Pago", "C1", "sí", ""]),
        (3, ["Contacto", "Rechaza", "", "C2", "no", ""]),
        (4, ["No contacto", "", "", "N", "", "3"]),
    ]
    roots, errors = typification.parse_rows(headers, rows)
    assert errors == []
    leaves = dict(typification.leaves(roots))
    assert set(leaves) == {"Contacto › Acepta › Pago", "Contacto › Rechaza", "No contacto"}
    assert leaves["Contacto › Acepta › Pago"].flags["effective"] is True
    assert leaves["Contacto › Acepta › Pago"].level == "detail"
    assert leaves["No contacto"].flags["retry_after_hours"] == 3


def test_every_bad_row_is_reported_with_its_number():
    headers = ["categoria", "resultado", "detalle", "codigo", "efectivo", "reintentar_horas"]
    rows = [
        (2, ["", "Acepta", "", "", "", ""]),
        (3, ["A", "", "Pago", "", "quizá", "0"]),
        (4, ["B", "", "", "X Y", "", ""]),
        (5, ["C", "", "", "K", "", ""]),
        (6, ["D", "", "", "K", "", ""]),
        (7, ["C", "", "", "", "", ""]),
    ]
    _, errors = typification.parse_rows(headers, rows)
    assert errors == [
        "Fila 2: falta la categoría.",
        "Fila 3: hay detalle sin resultado; «Efectivo (objetivo cumplido)» debe ser sí o no "
        "(trae «quizá»); las horas para reintentar van de 1 a 720 (trae «0»).",
        "Fila 4: el código «X Y» solo admite letras, números, punto y guiones (máx. 30).",
        "Fila 6: el código «K» ya está en la fila 5.",
        "Fila 7: «C» está repetida.",
    ]


def test_a_file_without_the_category_column_is_refused():
    _, errors = typification.parse_rows(["nombre"], [(2, ["x"])])
    assert errors
    assert "categoria" in errors[0]
