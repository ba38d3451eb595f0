"""Delivering results freezes the campaign report (README "Reports", the freeze).

``freeze_report`` is a ``deliver_results`` guard (campaigns ``ActionSpec.guards``): inside the
transition's transaction it builds the report from the stored rows, renders the PDF «Ficha
Técnica de Resultados» and the XLSX, stores both with their SHA-256 as a new
:class:`~.models.DeliveredReport` version (1, 2, … per brief: a brief returned and delivered
again keeps every earlier version) and adds the version and hashes to the transition's details.
An uploaded report attachment is optional.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db.models import Max

from brief.campaigns.models import Brief
from brief.core.audit import record

from . import campaign, documents
from .models import DeliveredReport


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def freeze_report(brief: Brief, *, actor, at, **params) -> tuple[dict, dict]:
    """Write the next delivered version of ``brief``'s report (module docstring)."""
    data = campaign.build(brief)
    version = (
        DeliveredReport.objects.filter(brief=brief).aggregate(n=Max("version"))["n"] or 0
    ) + 1
    data["delivered_version"] = version
    pdf = documents.pdf_bytes(data)
    xlsx = documents.xlsx_bytes(data)
    delivered = DeliveredReport(
        brief=brief,
        version=version,
        pdf_sha256=sha256(pdf),
        xlsx_sha256=sha256(xlsx),
        generated_at=at,
        by=actor,
    )
    name = f"ficha-resultados-{brief.code}-v{version}"
    delivered.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
    delivered.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
    delivered.save()
    record(
        "REPORT_FROZEN",
        actor=actor,
        target=brief,
        details={
            "version": version,
            "pdf_sha256": delivered.pdf_sha256,
            "xlsx_sha256": delivered.xlsx_sha256,
        },
    )
    return {}, {
        "report_version": version,
        "report_pdf_sha256": delivered.pdf_sha256,
        "report_xlsx_sha256": delivered.xlsx_sha256,
    }
