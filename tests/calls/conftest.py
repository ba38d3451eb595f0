"""Fixtures of the contact-center tests."""

from __future__ import annotations

import pytest

from tests.helpers import upload

TYPIFICATION_HEADER = (
    "Categoría,Resultado,Detalle,Código,Cuenta como contacto,Contacto con el titular,"
    "Efectivo,Reintentar (horas),No volver a contactar\n"
)


def typification_csv(*rows: str, name: str = "tipificacion.csv"):
    return upload(name, TYPIFICATION_HEADER + "".join(r + "\n" for r in rows))


@pytest.fixture
def make_call_brief(make_brief):
    """``make_call_brief(status)``: a brief with the call channel (and its script) in ``status``."""

    def make(status: str = "draft", **overrides):
        return make_brief(status, **{"channels": ["call"], **overrides})

    return make
