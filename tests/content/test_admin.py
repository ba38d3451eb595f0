"""The creatives' admin: no deletion before the legal retention date."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from brief.campaigns.choices import Status
from brief.content import actions
from brief.content.models import Creative
from tests.helpers import upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_admin_refuses_to_delete_a_creative_under_retention(
    client, make_brief, solicitante, superuser
):
    brief = make_brief(Status.DRAFT)
    creative = actions.add_creative(
        brief, actor=solicitante, channel="sms", upload=upload("x.png", PNG)
    )
    client.force_login(superuser)
    url = reverse("admin:content_creative_delete", args=[creative.pk])
    # asking to delete it (the page or the confirmation) comes back with the reason
    for response in (client.get(url, follow=True), client.post(url, {"post": "yes"}, follow=True)):
        assert response.redirect_chain[-1][0] == reverse(
            "admin:content_creative_change", args=[creative.pk]
        )
        assert "se conserva hasta el" in response.content.decode()
    assert Creative.objects.filter(pk=creative.pk).exists()
    # no bulk delete either
    changelist = client.get(reverse("admin:content_creative_changelist")).content.decode()
    assert "delete_selected" not in changelist
    # once past its retention date it can be deleted
    Creative.objects.filter(pk=creative.pk).update(retention_until=dt.date(2020, 1, 1))
    client.post(url, {"post": "yes"})
    assert not Creative.objects.filter(pk=creative.pk).exists()
