"""``core.sql.in_list``: a long ``__in`` as one parameter, with the ORM's answers."""

import pytest

from brief.accounts.models import Area
from brief.core.sql import in_list

pytestmark = pytest.mark.django_db


def test_in_list_selects_the_rows_the_plain_in_selects():
    areas = [Area.objects.create(code=f"a{i}", name=f"Área {i}") for i in range(5)]
    wanted = [areas[1].pk, areas[3].pk, 10_000]
    assert set(Area.objects.filter(pk__in=in_list(wanted))) == {areas[1], areas[3]}
    assert set(Area.objects.filter(code__in=in_list(["a0", "a4", "zz"]))) == {
        areas[0],
        areas[4],
    }


def test_an_empty_in_list_selects_nothing():
    Area.objects.create(code="a", name="A")
    assert not Area.objects.filter(pk__in=in_list([])).exists()
