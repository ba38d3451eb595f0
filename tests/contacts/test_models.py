"""Contact models: the current base, the person key and channel addresses (ORM = SQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from brief.contacts.choices import BaseStatus
from brief.contacts.models import (
    Contact,
    ContactBase,
    channel_address_expression,
    channel_address_sql,
    person_key,
    person_key_expression,
    person_key_sql,
)

pytestmark = pytest.mark.django_db


def _base(brief, user, status, minutes_ago):
    return ContactBase.objects.create(
        brief=brief,
        source_name=f"{status}.csv",
        status=status,
        created_by=user,
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def test_current_is_the_newest_ready_base(make_brief, solicitante):
    # given a brief with an older ready base, a newer ready one and a newest failed one
    brief = make_brief()
    _base(brief, solicitante, BaseStatus.READY, minutes_ago=30)
    newer = _base(brief, solicitante, BaseStatus.READY, minutes_ago=20)
    _base(brief, solicitante, BaseStatus.FAILED, minutes_ago=10)
    _base(brief, solicitante, BaseStatus.IMPORTING, minutes_ago=5)
    # when / then
    assert ContactBase.objects.current(brief) == newer


def test_current_ignores_other_briefs_and_is_none_without_a_ready_base(make_brief, solicitante):
    # given one brief with a ready base and one with only a pending base
    ready_brief = make_brief()
    pending_brief = make_brief()
    _base(ready_brief, solicitante, BaseStatus.READY, minutes_ago=10)
    _base(pending_brief, solicitante, BaseStatus.PENDING, minutes_ago=1)
    # when / then
    assert ContactBase.objects.current(pending_brief) is None
    assert ContactBase.objects.current(ready_brief).brief == ready_brief


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email", "voice", "call"])
def test_person_key_and_channel_address_agree_with_their_sql_twins(
    make_brief, solicitante, channel
):
    # given contacts with and without a mobile
    base = _base(make_brief(), solicitante, BaseStatus.READY, minutes_ago=0)
    for row, (mobile, landline) in enumerate([("+573001112233", ""), ("", "+576012223344")], 2):
        Contact.objects.create(
            base=base,
            row=row,
            doc_type="CC",
            doc_number=f"10{row}",
            full_name="Ana",
            mobile=mobile,
            landline=landline,
            email=f"p{row}@correo.co",
        )
    # when the keys and addresses are computed by the ORM, by raw SQL and in Python
    orm = list(
        Contact.objects.filter(base=base)
        .annotate(p=person_key_expression(), a=channel_address_expression(channel))
        .order_by("row")
        .values_list("p", "a")
    )
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {person_key_sql('c')}, {channel_address_sql(channel, 'c')} "
            f"FROM {table} c WHERE c.base_id = %s ORDER BY c.row",
            [base.pk],
        )
        sql = [tuple(r) for r in cursor.fetchall()]
    # then they agree
    assert orm == sql
    assert (
        [p for p, _ in orm]
        == [person_key("CC", "102"), person_key("CC", "103")]
        == [
            "CC:102",
            "CC:103",
        ]
    )
    expected = {
        "email": ["p2@correo.co", "p3@correo.co"],
        "voice": ["+573001112233", "+576012223344"],
        "call": ["+573001112233", "+576012223344"],
    }.get(channel, ["+573001112233", ""])
    assert [a for _, a in orm] == expected
