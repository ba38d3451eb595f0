"""Holes the access matrix found, pinned one by one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

AUDIO = b"ID3\x03\x00" + b"\x00" * 64  # the world's creative (``world.seed``)


@pytest.mark.parametrize("where", ["download", "public"])
def test_a_frozen_creative_downloads_from_the_encrypted_store(world, where):
    # given a creative frozen at exit approval, stored encrypted at rest
    creative = world.creative
    creative.refresh_from_db()
    assert creative.frozen_sha256
    client = Client()
    if where == "download":
        client.force_login(world.users["analista"])
        url = reverse("content:creative_download", args=[world.brief.code, creative.pk])
    else:
        url = reverse("content:creative_public", args=[world.creative_token])
    # when it is downloaded (after its digest is checked), then the file comes back, not a 500
    # (the digest closed the field's file, which an encrypted store cannot reopen by name)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == AUDIO
