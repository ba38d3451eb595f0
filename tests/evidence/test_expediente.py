"""The contract file: a ZIP of everything stored for a brief, with a manifest whose SHA-256
match the files inside; OCM and internal control only; each export logged."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from django.urls import reverse

from brief.content import actions as content_actions
from brief.core.models import AuditEvent
from brief.evidence import actions
from tests.helpers import upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def read_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_expediente_bundles_the_brief_with_a_true_manifest(
    client, api, analista, auditor, solicitante, sent_campaign
):
    brief, _sweep, (first, _), _raw = sent_campaign
    cert = actions.issue_certificate(message=first, actor=analista)
    brief.status, status = "draft", brief.status
    brief.save(update_fields=["status"])
    creative = content_actions.add_creative(
        brief, actor=solicitante, channel="sms", upload=upload("pieza.png", PNG)
    )
    brief.status = status
    brief.save(update_fields=["status"])
    client.force_login(analista)
    # when OCM downloads the expediente
    bundle = read_zip(client.get(reverse("evidence:expediente", args=[brief.code])))
    manifest = json.loads(bundle.read("manifest.json"))
    # then every item of the manifest is in the ZIP with its size and SHA-256
    names = set(bundle.namelist()) - {"manifest.json"}
    assert {item["path"] for item in manifest["items"]} == names
    for item in manifest["items"]:
        data = bundle.read(item["path"])
        assert (len(data), hashlib.sha256(data).hexdigest()) == (item["size"], item["sha256"])
        if item.get("stored_sha256"):
            assert item["stored_sha256"] == item["sha256"]
    kinds = {item["kind"] for item in manifest["items"]}
    assert {"attachment", "creative", "certificate", "template", "audit_log"} <= kinds
    by_kind = {item["kind"]: item for item in manifest["items"]}
    assert by_kind["certificate"]["sha256"] == cert.sha256
    assert by_kind["creative"]["sha256"] == creative.sha256
    audit = bundle.read("auditoria.csv").decode()
    assert "CERTIFICATE_ISSUED" in audit
    assert manifest["brief"] == brief.code
    # and the export is logged with the manifest's SHA-256
    event = AuditEvent.objects.get(type="EXPEDIENTE_EXPORTED")
    assert (
        event.details["manifest_sha256"] == hashlib.sha256(bundle.read("manifest.json")).hexdigest()
    )
    # the API gives the same, to internal control
    api_bundle = read_zip(
        api.as_user(auditor).get(reverse("api:brief_expediente", args=[brief.code]))
    )
    assert set(api_bundle.namelist()) == set(bundle.namelist())


def test_expediente_is_for_ocm_and_internal_control(
    client, api, solicitante, proveedor, sent_campaign
):
    brief, *_ = sent_campaign
    for user in (solicitante, proveedor):
        client.force_login(user)
        assert client.get(reverse("evidence:expediente", args=[brief.code])).status_code == 403
        response = api.as_user(user).get(reverse("api:brief_expediente", args=[brief.code]))
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(type="EXPEDIENTE_EXPORTED").exists()
