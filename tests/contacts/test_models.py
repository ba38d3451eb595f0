"""``ContactBase.objects.current``: the one way to ask for a brief's current ready base."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase

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
