"""Delivering results freezes the generated report as a new version with its SHA-256."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from brief.campaigns import actions as brief_actions
from brief.campaigns.choices import Status
from brief.campaigns.models import Brief, BriefTransition
from brief.reports.models import DeliveredReport
from tests.reports.test_documents import pdf_pages

pytestmark = pytest.mark.django_db


def test_deliver_results_freezes_pdf_and_xlsx_without_an_uploaded_file(
    api, reported, proveedor, solicitante, client
):
    brief, _sms, _email = reported
    assert not brief.attachments.filter(kind="report").exists()
    # when the provider delivers the results (no report file uploaded)
    r = api.as_user(proveedor).post(
        f"/api/v1/briefs/{brief.code}/deliver_results/", {}, format="json"
    )
    # then the brief moves on and version 1 of the report is frozen with the hash of each file
    assert r.status_code == 200, r.json()
    assert Brief.objects.get(pk=brief.pk).status == Status.RESULTS_REVIEW
    frozen = DeliveredReport.objects.get(brief=brief)
    assert frozen.version == 1
    pdf, xlsx = frozen.pdf.read(), frozen.xlsx.read()
    assert hashlib.sha256(pdf).hexdigest() == frozen.pdf_sha256
    assert hashlib.sha256(xlsx).hexdigest() == frozen.xlsx_sha256
    assert pdf_pages(pdf)[0].strip().startswith("Ficha Técnica de Resultados")
    assert xlsx[:2] == b"PK"
    transition = BriefTransition.objects.get(brief=brief, action="deliver_results")
    assert transition.details["report_version"] == 1
    assert transition.details["report_pdf_sha256"] == frozen.pdf_sha256
    # and the report page lists it, downloadable byte for byte
    client.force_login(solicitante)
    page = client.get(reverse("reports:campaign", args=[brief.code])).content.decode()
    assert frozen.pdf_sha256 in page
    got = client.get(reverse("reports:delivered", args=[brief.code, 1, "pdf"]))
    assert hashlib.sha256(b"".join(got.streaming_content)).hexdigest() == frozen.pdf_sha256


def test_each_delivery_is_a_new_version_and_earlier_ones_stay(reported, proveedor):
    brief, _sms, _email = reported
    brief_actions.perform(brief, "deliver_results", actor=proveedor)
    # given the results went back to the provider (the loop another part adds), by hand here
    Brief.objects.filter(pk=brief.pk).update(status=Status.EXECUTING)
    brief.refresh_from_db()
    brief_actions.perform(brief, "deliver_results", actor=proveedor)
    versions = list(DeliveredReport.objects.filter(brief=brief).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert all(v.pdf.storage.exists(v.pdf.name) for v in versions)


def test_refused_delivery_freezes_nothing(api, make_brief, proveedor):
    brief = make_brief(Status.EXECUTING)
    r = api.as_user(proveedor).post(
        f"/api/v1/briefs/{brief.code}/deliver_results/", {}, format="json"
    )
    assert r.status_code == 409
    assert not DeliveredReport.objects.exists()
