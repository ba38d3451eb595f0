"""Fixtures of the contact-base tests: a received brief, a logged-in client, a whole import."""

from __future__ import annotations

import pytest

from brief.campaigns.choices import Status
from brief.contacts import actions
from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase


@pytest.fixture
def received(make_brief):
    return make_brief(Status.RECEIVED)


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def import_file(django_capture_on_commit_callbacks):
    """``import_file(attachment, user, mapping=…)`` runs a whole import (eager task)."""

    def run(attachment, user, **kwargs) -> ContactBase:
        with django_capture_on_commit_callbacks(execute=True):
            base = actions.start_import(attachment, actor=user, **kwargs)
        base.refresh_from_db()
        assert base.status == BaseStatus.READY, base.error_message
        return base

    return run
