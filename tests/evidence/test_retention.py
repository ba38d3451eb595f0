"""Retention: every stored file has a date; the purge removes only what is past it, leaves a
tombstone and logs each removal; every FileField of the project is in the table."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from brief.campaigns.choices import Status
from brief.content import actions as content_actions
from brief.core.models import AuditEvent
from brief.evidence import actions, retention
from brief.evidence.models import PurgedFile
from brief.evidence.tasks import purge_expired_files
from tests.helpers import upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_every_file_field_has_a_retention_kind():
    known = {(k.model.lower(), k.field) for k in retention.FILE_KINDS}
    fields = {
        (model._meta.label_lower, field.name)
        for model in apps.get_models()
        if model._meta.app_label not in {"admin", "auth", "contenttypes", "sessions"}
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    }
    assert fields - known == set()


def test_retention_is_contract_end_plus_years(settings):
    settings.BRIEF_RETENTION_YEARS = 5
    settings.BRIEF_CONTRACT_END = None
    stored = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert retention.retain_until(dt.date(2027, 2, 28), stored) == dt.date(2032, 2, 28)
    assert retention.retain_until(None, stored) == dt.date(2031, 3, 1)
    assert retention.retain_until(dt.date(2028, 2, 29), stored) == dt.date(2033, 2, 28)
    settings.BRIEF_CONTRACT_END = "2029-06-30"
    assert retention.retain_until(dt.date(2027, 2, 28), stored) == dt.date(2034, 6, 30)
    # a later date stored on the row (a creative's) wins
    assert retention.retain_until(None, stored, dt.date(2040, 1, 1)) == dt.date(2040, 1, 1)


def test_purge_removes_only_files_past_retention_and_logs_each(
    make_brief, solicitante, settings, django_capture_on_commit_callbacks
):
    settings.BRIEF_CONTRACT_END = None
    settings.BRIEF_RETENTION_YEARS = 5
    # given two briefs ending years apart, each with a base attachment and a creative
    old = make_brief(Status.DRAFT, end_date=dt.date(2026, 12, 20))
    new = make_brief(Status.DRAFT, end_date=dt.date(2030, 6, 30))
    for brief in (old, new):
        content_actions.add_creative(
            brief, actor=solicitante, channel="sms", upload=upload("pieza.png", PNG)
        )
    files = list(retention.stored_files())
    assert {f.brief_code for f in files} == {old.code, new.code}
    today = dt.date(2032, 1, 5)
    expected = {(f.spec.kind, f.path, f.sha256) for f in files if f.retain_until < today}
    kept = {f.path for f in files if f.retain_until >= today}
    # the old brief's files expire first (its end + 5 years); the new one's do not
    assert {f.brief_code for f in files if f.retain_until < today} == {old.code}
    assert {f.brief_code for f in files if f.path in kept} == {new.code}
    assert {kind for kind, _p, _s in expected} == {"attachment", "creative"}
    # when the purge runs
    with django_capture_on_commit_callbacks(execute=True):
        purged = actions.purge_expired_files(today=today)
    # then exactly the expired files are gone, with a tombstone and an audit event each
    assert {(p.kind, p.path, p.sha256) for p in purged} == expected
    assert {(p.kind, p.path, p.sha256) for p in PurgedFile.objects.all()} == expected
    for _kind, path, _sha in expected:
        assert not default_storage.exists(path)
    for path in kept:
        assert default_storage.exists(path)
    logged = {
        (e.details["kind"], e.details["path"], e.details["sha256"])
        for e in AuditEvent.objects.filter(type="FILE_PURGED")
    }
    assert logged == expected
    assert old.creatives.get().file.name == ""  # the row stays, its file is gone
    assert {f.path for f in retention.stored_files()} == kept
    # and a second run removes nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.purge_expired_files(today=today) == []
    assert AuditEvent.objects.filter(type="FILE_PURGED").count() == len(expected)


def test_purge_task_runs_on_today(make_brief, settings):
    settings.BRIEF_CONTRACT_END = None
    make_brief(Status.DRAFT)
    assert purge_expired_files.delay().get() == 0
    assert not PurgedFile.objects.exists()


def test_purge_task_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "brief.evidence.tasks.purge_expired_files" in tasks
