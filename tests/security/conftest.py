"""The access-control matrix's fixtures: the world is seeded once per module, in a transaction
rolled back at the end (every probe runs in a savepoint of its own inside it)."""

from __future__ import annotations

import tempfile
import time

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.template import Template
from django.test import override_settings
from django.test.utils import _TestState

from brief.core import errors
from tests.security.world import seed


def _bare_error_page(request, template_name, context=None, status=None, **kwargs):
    """The error page without the site layout: the matrix reads only its status."""
    return HttpResponse(str((context or {}).get("message", "")), status=status)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        pytest.MonkeyPatch.context() as patch,
    ):
        # Speed: ~1000 refusals would each render the 403 page in the full layout
        # (tests/core/test_errors.py covers that page), and the test client's per-template
        # signal (for ``response.context``, unused here) costs on every page.
        patch.setattr(errors, "render", _bare_error_page)
        patch.setattr(Template, "_render", _TestState.saved_data.template_render)
        atomic = transaction.atomic()
        atomic._from_testcase = True  # type: ignore[attr-defined]  # as TestCase's own atomics
        atomic.__enter__()
        try:
            built = seed()
            built.objects["media"] = media
            built.objects["seconds"] = time.perf_counter() - started
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
