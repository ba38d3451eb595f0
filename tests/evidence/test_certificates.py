"""Sending certificates: issued for a message and for a campaign, signed, read, verified; one
changed byte and the check fails; who may issue."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from brief.core.models import AuditEvent
from brief.dispatch.models import Message
from brief.evidence.models import Certificate

REASONS = {
    "La firma digital no corresponde al contenido: el archivo fue modificado.",
    "El PDF está dañado o no se puede leer.",
    "El PDF no tiene firma digital.",
    "El PDF no es el archivo emitido con el código CERT-2026-000001 (SHA-256 distinto).",
}


def issue(api, user, **body):
    return api.as_user(user).post(reverse("api:certificates"), body, format="json")


def pdf_of(api, user, code) -> bytes:
    response = api.as_user(user).get(reverse("api:certificate", args=[code]), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def verify(client, data: bytes, name="certificado.pdf"):
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return client.post(reverse("api:certificate_verify"), {"file": upload}, format="multipart")


def flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def embedded_register(data: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data))
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "registro.csv"
    return names[1]["/EF"]["/F"].data


def test_certificate_of_a_message_states_what_was_sent_and_verifies(api, analista, sent_campaign):
    brief, _sweep, (first, _second), raw = sent_campaign
    # when OCM certifies the delivered message
    response = issue(api, analista, message=first.pk)
    # then a code and the PDF's download URL
    assert response.status_code == 201
    code = response.json()["code"]
    assert re.fullmatch(r"CERT-\d{4}-\d{6}", code)
    assert response.json()["pdf"].endswith(reverse("api:certificate", args=[code]) + "?format=pdf")
    # and its JSON states the content, recipient, provider, events and raw callback hashes
    data = api.get(reverse("api:certificate", args=[code])).json()
    statement = data["statement"]
    assert (data["scope"], data["brief"], data["message"]) == ("message", brief.code, first.pk)
    assert statement["content"]["text"] == "Hola Persona1, su saldo es 1000."
    assert statement["message"]["provider_message_id"] == first.provider_message_id
    assert statement["message"]["status"] == "delivered"
    assert first.to not in json.dumps(statement)
    assert statement["message"]["to"].endswith(first.to[-4:])
    assert statement["message"]["document"] == "CC ****0001"
    assert statement["account"]["code"] == "locmem"
    assert [e["status"] for e in statement["events"]] == ["delivered"]
    assert [c["sha256"] for c in statement["callbacks"]] == [hashlib.sha256(raw).hexdigest()]
    assert [a["outcome"] for a in statement["attempts"]] == ["accepted"]
    # and the signed PDF is the stored one, and it verifies
    pdf = pdf_of(api, analista, code)
    assert hashlib.sha256(pdf).hexdigest() == data["sha256"] == Certificate.objects.get().sha256
    api.credentials()  # verification needs no login
    assert verify(api, pdf).json() == {"valid": True, "code": code, "reason": ""}
    # and issuing and downloading were audit-logged
    types = set(AuditEvent.objects.values_list("type", flat=True))
    assert {"CERTIFICATE_ISSUED", "CERTIFICATE_DOWNLOADED"} <= types


def test_one_changed_byte_fails_verification_with_a_reason(api, analista, sent_campaign):
    _brief, _sweep, (first, _), _raw = sent_campaign
    code = issue(api, analista, message=first.pk).json()["code"]
    pdf = pdf_of(api, analista, code)
    api.credentials()
    # one byte in the middle of the page content, one in the title, one in the trailer
    for at in (len(pdf) // 3, pdf.index(b"/Title") + 3, len(pdf) - 10):
        answer = verify(api, flip(pdf, at))
        assert answer.status_code == 200
        body = answer.json()
        assert body["valid"] is False, at
        assert body["reason"], at
    # a byte changed inside the signature's unused space still changes the SHA-256
    contents = pdf.index(b"/Contents <") + len(b"/Contents <")
    padding = pdf.index(b"0000000000", contents) + 4
    body = verify(api, pdf[:padding] + b"1" + pdf[padding + 1 :]).json()
    assert body["valid"] is False
    assert body["reason"]


def test_a_text_edit_is_refused_as_modified(api, analista, sent_campaign):
    _brief, _sweep, (first, _), _raw = sent_campaign
    code = issue(api, analista, message=first.pk).json()["code"]
    pdf = pdf_of(api, analista, code)
    at = pdf.index(b"/Producer") + 2
    body = verify(api, flip(pdf, at)).json()
    assert body == {
        "valid": False,
        "code": code,
        "reason": "La firma digital no corresponde al contenido: el archivo fue modificado.",
    }


def test_certificate_of_a_campaign_lists_sweeps_totals_and_register(
    api, solicitante, sent_campaign
):
    brief, sweep, messages, _raw = sent_campaign
    # when the requesting area certifies its whole campaign
    response = issue(api, solicitante, brief=brief.code)
    assert response.status_code == 201
    code = response.json()["code"]
    statement = api.get(reverse("api:certificate", args=[code])).json()["statement"]
    # then the sweep with its totals and the register of every recipient
    assert [s["number"] for s in statement["sweeps"]] == [sweep.number]
    stored = {m.status for m in Message.objects.filter(sweep=sweep)}
    assert stored == {"delivered", "sent"}
    assert statement["totals"]["sent"] == 2
    assert statement["totals"]["delivered"] == 1
    assert statement["register"]["rows"] == 2
    assert [row[0] for row in statement["table"]] == [str(m.pk) for m in messages]
    # and the register embedded in the signed PDF is the one whose SHA-256 it states
    pdf = pdf_of(api, solicitante, code)
    register = embedded_register(pdf)
    assert hashlib.sha256(register).hexdigest() == statement["register"]["sha256"]
    assert register.decode().count("\n") == 3  # header and two recipients
    assert verify(api, pdf).json()["valid"] is True


def test_unknown_code_non_pdf_and_missing_scope(api, analista, sent_campaign):
    # an unknown code is a 404
    response = api.as_user(analista).get(reverse("api:certificate", args=["CERT-2026-999999"]))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    # a file that is not a PDF is a structured 400
    response = verify(api, b"hola, no soy un PDF", name="nota.pdf")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "not_pdf",
            "message": "El archivo no es un PDF: cargue el certificado descargado.",
            "field": "file",
        }
    ]
    # a PDF without a signature is not valid
    from reportlab.pdfgen import canvas

    blank = io.BytesIO()
    canvas.Canvas(blank).save()
    assert verify(api, blank.getvalue()).json() == {
        "valid": False,
        "code": None,
        "reason": "El PDF no tiene firma digital.",
    }
    # neither or both scopes are a 400, and nothing is issued
    for body in ({}, {"brief": "BRF-2026-0001", "message": 1}):
        answer = issue(api, analista, **body)
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["code"] == "scope_required"
    assert issue(api, analista, message="x").status_code == 400
    assert not Certificate.objects.exists()


def test_a_message_without_outcome_is_not_certified(api, analista, sent_campaign):
    _brief, _sweep, (first, _), _raw = sent_campaign
    Message.objects.filter(pk=first.pk).update(status="queued")
    response = issue(api, analista, message=first.pk)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_sent"
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("analista", 201),
        ("proveedor", 201),
        ("auditor", 201),
        ("solicitante", 201),
        ("comunicaciones", 403),
        ("asesor", 403),
        ("outsider", 403),
    ],
)
def test_who_may_issue(api, request, sent_campaign, persona, expected):
    brief, _sweep, (first, _), _raw = sent_campaign
    user = request.getfixturevalue(persona)
    by_message = issue(api, user, message=first.pk)
    by_brief = issue(api, user, brief=brief.code)
    assert by_message.status_code == expected
    assert by_brief.status_code in (expected, 404) if persona == "asesor" else expected
    assert Certificate.objects.count() == (2 if expected == 201 else 0)


def test_public_page_shows_no_personal_data_and_checks_an_upload(
    client, api, analista, sent_campaign
):
    brief, _sweep, (first, _), _raw = sent_campaign
    code = issue(api, analista, message=first.pk).json()["code"]
    pdf = pdf_of(api, analista, code)
    url = reverse("evidence:verify", args=[code])
    # when anyone opens the page
    page = client.get(url)
    # then the public summary, without the recipient or the content
    assert page.status_code == 200
    html = page.content.decode()
    assert code in html
    assert brief.code in html
    assert first.to not in html
    assert "Persona1" not in html
    assert "Descargar el PDF firmado" not in html
    # and an upload of the issued PDF is valid, an altered one is not (with the reason)
    ok = client.post(url, {"file": SimpleUploadedFile("c.pdf", pdf)})
    assert "Válido: la firma digital es de Brief" in ok.content.decode()
    bad = client.post(url, {"file": SimpleUploadedFile("c.pdf", flip(pdf, len(pdf) // 3))})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "No válido:" in text
    assert any(r in text for r in REASONS)
    # and another certificate's PDF is not this one
    other = issue(api, analista, message=first.pk).json()["code"]
    answer = client.post(
        reverse("evidence:verify", args=[other]), {"file": SimpleUploadedFile("c.pdf", pdf)}
    )
    assert f"Este PDF corresponde al certificado {code}, no a {other}." in answer.content.decode()
    # and a text file is refused with a message, not a 500
    refused = client.post(url, {"file": SimpleUploadedFile("c.pdf", b"texto")})
    assert refused.status_code == 400
    assert "El archivo no es un PDF" in refused.content.decode()
    # and an unknown code says so
    assert client.get(reverse("evidence:verify", args=["CERT-2026-999999"])).status_code == 404


def test_public_page_keeps_csrf(client, api, analista, sent_campaign):
    from django.test import Client

    _brief, _sweep, (first, _), _raw = sent_campaign
    code = issue(api, analista, message=first.pk).json()["code"]
    strict = Client(enforce_csrf_checks=True)
    url = reverse("evidence:verify", args=[code])
    assert strict.post(url, {"file": SimpleUploadedFile("c.pdf", b"%PDF-")}).status_code == 403
    page = strict.get(url)
    token = page.cookies["csrftoken"].value
    answer = strict.post(
        url, {"file": SimpleUploadedFile("c.pdf", b"%PDF-1.4"), "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 200


def test_issue_from_the_brief_page_and_the_history(client, analista, sent_campaign):
    brief, _sweep, (first, _), _raw = sent_campaign
    client.force_login(analista)
    # the brief page offers the button
    page = client.get(reverse("campaigns:brief_tab", args=[brief.code, "informe"]))
    assert "Certificar envío" in page.content.decode()
    # posting it issues the campaign's certificate and opens its verification page
    response = client.post(reverse("evidence:certificate_issue"), {"brief": brief.code})
    cert = Certificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evidence:verify", args=[cert.code])
    assert cert.scope == "brief"
    # the page then offers the signed PDF to someone who sees the brief
    page = client.get(response["Location"]).content.decode()
    assert reverse("evidence:certificate_pdf", args=[cert.code]) in page
    download = client.get(reverse("evidence:certificate_pdf", args=[cert.code]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == cert.sha256
    # a message of the beneficiary history can be certified too
    history = client.get(reverse("calls:history"), {"document": "10000001"})
    assert f'name="message" value="{first.pk}"' in history.content.decode()
    client.post(reverse("evidence:certificate_issue"), {"message": first.pk})
    assert Certificate.objects.filter(scope="message", message_id=first.pk).count() == 1
    # a refusal comes back as a message, not an error page
    Message.objects.filter(pk=first.pk).update(status="queued")
    refused = client.post(
        reverse("evidence:certificate_issue"),
        {"message": first.pk, "next": reverse("campaigns:brief_detail", args=[brief.code])},
        follow=True,
    )
    assert "todavía no tiene resultado" in refused.content.decode()


def test_a_failed_issue_leaves_no_row_and_no_file(analista, sent_campaign, monkeypatch):
    from django.core.files.storage import default_storage

    from brief.evidence import actions

    _brief, _sweep, (first, _), _raw = sent_campaign
    saved = []
    real_save = default_storage.save

    def save(name, content, **kwargs):
        saved.append(real_save(name, content, **kwargs))
        return saved[-1]

    def broken(*args, **kwargs):
        raise RuntimeError("audit log down")

    monkeypatch.setattr(default_storage, "save", save)
    monkeypatch.setattr(actions, "record", broken)
    with pytest.raises(RuntimeError):
        actions.issue_certificate(message=first, actor=analista)
    assert not Certificate.objects.exists()
    assert len(saved) == 1
    assert not default_storage.exists(saved[0])
