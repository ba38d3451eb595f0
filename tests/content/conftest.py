"""Helpers for content tests: briefs in any state and a ready contact base."""

from __future__ import annotations

import pytest

from brief.contacts.choices import BaseStatus
from brief.contacts.models import Contact, ContactBase
from tests.campaigns.conftest import make_brief  # noqa: F401  (fixture)

CONTACTS = [
    {
        "doc_number": "1020304050",
        "first_names": "Ana María",
        "last_names": "Pérez Gómez",
        "mobile": "+573001234567",
        "email": "ana@example.co",
        "city": "Bogotá",
        "custom": {"Saldo": "$1.250.000", "Fecha límite": "15/12/2026"},
    },
    {
        "doc_number": "79888777",
        "first_names": "Luis",
        "last_names": "Rodríguez",
        "mobile": "+573109876543",
        "email": "",
        "city": "Cali",
        "custom": {"Saldo": ""},
    },
]


@pytest.fixture
def make_base(solicitante):
    """``make_base(brief)`` stores a ready base with two contacts (Luis lacks saldo and e-mail)."""

    def make(brief, contacts=CONTACTS, usable=None):
        base = ContactBase.objects.create(
            brief=brief,
            source_name="base.csv",
            status=BaseStatus.READY,
            created_by=solicitante,
            channels=brief.channels,
            summary={"usable_by_channel": usable or {"sms": 2500, "email": 1800}},
        )
        for row, data in enumerate(contacts, 2):
            Contact.objects.create(
                base=base,
                row=row,
                doc_type="CC",
                full_name=f"{data['first_names']} {data['last_names']}",
                country="Colombia",
                department="",
                can_sms=bool(data["mobile"]),
                can_email=bool(data["email"]),
                **data,
            )
        return base

    return make
