"""Sweep pages: the brief's panel, the new-sweep form, live progress, controls, unknowns."""

from __future__ import annotations

import datetime as dt

import pytest

from brief.core.calendar import BOGOTA
from brief.core.models import AuditEvent
from brief.dispatch import actions, engine
from brief.dispatch.choices import MessageStatus, SweepState
from brief.dispatch.models import Message, Sweep
from brief.dispatch.views import mask

pytestmark = pytest.mark.django_db

OPEN = dt.datetime(2026, 12, 9, 10, 0, tzinfo=BOGOTA)  # a Wednesday, inside the window
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def at(monkeypatch):
    monkeypatch.setattr(engine, "clock", lambda: OPEN)
    return OPEN


def make_sweep(brief, template, actor, account="locmem", **kw):
    return actions.create_sweep(brief, actor=actor, channel=template.channel, template=template,
                                provider_account=account, **kw)  # fmt: skip


def drain(sweep):
    engine.Runner(sweep).run(budget_seconds=30)
    sweep.refresh_from_db()


def form_data(template, **extra):
    data = {
        "channel": template.channel,
        "template": str(template.pk),
        "provider_account": "locmem",
        "include": "all",
        "start_at": "2026-12-09T10:00",
        "exception_reason": "",
    }
    data.update(extra)
    return data


# --- the brief's panel -----------------------------------------------------------------


def test_brief_page_loads_the_sweeps_panel_with_a_new_sweep_link(client, campaign, proveedor):
    brief, _, templates = campaign(n=3)
    sweep = make_sweep(brief, templates["sms"], proveedor)
    client.force_login(proveedor)
    # the brief page's «Barridos» tab loads the panel with htmx
    page = client.get(f"/briefs/{brief.code}/?tab=barridos").content.decode()
    assert f'hx-get="/briefs/{brief.code}/barridos/"' in page
    # and the panel lists the sweep and offers a new one to the operator
    panel = client.get(f"/briefs/{brief.code}/barridos/", **HX).content.decode()
    assert f'href="/barridos/{sweep.pk}/"' in panel
    assert "Barrido 1" in panel
    assert "En curso" in panel
    assert f'href="/briefs/{brief.code}/barridos/nuevo/"' in panel
    assert "Nuevo barrido" in panel
    assert "<html" not in panel
    # without htmx it is a whole page
    assert "<html" in client.get(f"/briefs/{brief.code}/barridos/").content.decode()


def test_panel_counts_and_no_new_link_for_the_requester(client, campaign, proveedor, solicitante,
                                                        at):  # fmt: skip
    brief, _, templates = campaign(n=4)
    drain(make_sweep(brief, templates["sms"], proveedor))
    client.force_login(solicitante)
    panel = client.get(f"/briefs/{brief.code}/barridos/", **HX).content.decode()
    assert "Barrido 1" in panel
    assert '<td class="n">4</td>' in panel  # total and sent
    assert "Nuevo barrido" not in panel


# --- the new-sweep form ----------------------------------------------------------------


def test_form_offers_the_briefs_choices_and_reloads_by_channel(client, campaign, proveedor):
    brief, _, templates = campaign(n=3)
    client.force_login(proveedor)
    body = client.get(f"/briefs/{brief.code}/barridos/nuevo/").content.decode()
    assert '<option value="sms">SMS</option>' in body
    assert '<option value="email">Correo electrónico</option>' in body
    assert 'type="datetime-local"' in body
    assert "Ignorar franjas horarias" in body
    assert "Toda la base" in body
    # choosing a channel lists only its templates
    body = client.get(f"/briefs/{brief.code}/barridos/nuevo/?channel=email", **HX).content.decode()
    assert f'value="{templates["email"].pk}"' in body
    assert f'value="{templates["sms"].pk}"' not in body
    assert '<option value="locmem">' in body


def test_form_creates_the_sweep_and_writes_its_outbox(client, campaign, proveedor):
    brief, _, templates = campaign(n=7)
    client.force_login(proveedor)
    # when the operator posts the form
    response = client.post(f"/briefs/{brief.code}/barridos/nuevo/", form_data(templates["sms"]))
    # then the sweep exists with its outbox, and the browser goes to its page
    sweep = Sweep.objects.get(brief=brief)
    assert response.status_code == 302
    assert response["Location"] == f"/barridos/{sweep.pk}/"
    assert (sweep.number, sweep.channel, sweep.total, sweep.state) == (1, "sms", 7, "running")
    assert sweep.provider_account.code == "locmem"
    assert Message.objects.filter(sweep=sweep, status="queued").count() == 7
    page = client.get(response["Location"]).content.decode()
    assert "Barrido 1 creado: 7 destinatarios en cola." in page


def test_form_passes_segment_and_exception_with_reason(client, campaign, proveedor):
    from brief.contacts.models import Segment

    brief, base, templates = campaign(n=5)
    segment = Segment.objects.create(base=base, name="Todos", filters={}, created_by=proveedor)
    client.force_login(proveedor)
    data = form_data(templates["email"], segment=str(segment.pk), ignore_windows="on",
                     exception_reason="La persona pidió la información.")  # fmt: skip
    response = client.post(f"/briefs/{brief.code}/barridos/nuevo/", data)
    assert response.status_code == 302
    sweep = Sweep.objects.get(brief=brief)
    assert sweep.segment == segment
    assert (sweep.ignore_windows, sweep.ignore_daily_cap) == (True, False)
    assert sweep.exception_reason == "La persona pidió la información."
    assert AuditEvent.objects.filter(type="CONTACT_RULE_EXCEPTION_GRANTED").count() == 1


def test_exception_without_reason_is_refused_in_spanish(client, campaign, proveedor):
    brief, _, templates = campaign(n=3)
    client.force_login(proveedor)
    response = client.post(
        f"/briefs/{brief.code}/barridos/nuevo/",
        form_data(templates["sms"], ignore_daily_cap="on", exception_reason="   "),
    )
    assert response.status_code == 400
    assert "Una excepción a las reglas de contacto necesita un motivo." in response.content.decode()
    assert not Sweep.objects.exists()


def test_template_of_another_channel_is_refused_in_spanish(client, campaign, proveedor):
    brief, _, templates = campaign(n=3)
    client.force_login(proveedor)
    data = form_data(templates["email"], channel="sms")
    response = client.post(f"/briefs/{brief.code}/barridos/nuevo/", data)
    assert response.status_code == 400
    assert (
        "La plantilla «Plantilla email» es de Correo electrónico, no de SMS."
        in response.content.decode()
    )
    assert not Sweep.objects.exists()


def test_missing_fields_are_refused_in_spanish(client, campaign, proveedor):
    brief, _, _ = campaign(n=3)
    client.force_login(proveedor)
    response = client.post(f"/briefs/{brief.code}/barridos/nuevo/", {"include": "all"})
    body = response.content.decode()
    assert response.status_code == 400
    assert body.count("Este campo es requerido.") == 3  # channel, template, account
    assert "Indique la fecha y hora de inicio." in body
    assert not Sweep.objects.exists()


def test_non_operator_cannot_create_a_sweep(client, campaign, solicitante):
    brief, _, templates = campaign(n=3)
    client.force_login(solicitante)
    assert client.get(f"/briefs/{brief.code}/barridos/nuevo/").status_code == 403
    response = client.post(f"/briefs/{brief.code}/barridos/nuevo/", form_data(templates["sms"]))
    assert response.status_code == 403
    assert not Sweep.objects.exists()


def test_no_sweep_before_the_campaign_executes(client, campaign, proveedor):
    from brief.campaigns.choices import Status

    brief, _, templates = campaign(n=3)
    brief.status = Status.AWAITING_EXIT_APPROVAL
    brief.save(update_fields=["status"])
    client.force_login(proveedor)
    response = client.post(f"/briefs/{brief.code}/barridos/nuevo/", form_data(templates["sms"]))
    assert response.status_code == 302
    assert response["Location"] == f"/briefs/{brief.code}/"
    assert not Sweep.objects.exists()


# --- the sweep page --------------------------------------------------------------------


def test_sweep_page_shows_header_progress_and_polls(client, campaign, proveedor, at):
    brief, _, templates = campaign(n=12)
    sweep = make_sweep(brief, templates["sms"], proveedor, ignore_windows=True,
                       exception_reason="Información solicitada")  # fmt: skip
    drain(sweep)
    client.force_login(proveedor)
    body = client.get(f"/barridos/{sweep.pk}/").content.decode()
    assert "Barrido 1 · SMS" in body
    assert "Plantilla sms" in body
    assert "Memoria" in body
    assert "Todos los del segmento" in body
    assert "Sin franjas horarias" in body
    assert "Motivo: Información solicitada" in body
    assert f'hx-get="/barridos/{sweep.pk}/avance/" hx-trigger="every 2s"' in body
    # the partial shows the counts by status with percentages
    live = client.get(f"/barridos/{sweep.pk}/avance/", **HX).content.decode()
    assert '<span class="n" id="total">12</span>' in live
    assert (
        '<tr data-status="sent">\n          <td><span class="swatch s-sent" aria-hidden="true">'
        '</span>Enviados (aceptados)</td>\n          <td class="n">12</td>\n'
        '          <td class="n">100,0 %</td>' in live
    )
    assert 'data-width="100.000"' in live
    assert "Pausar" in live
    assert "<html" not in live


def test_polling_stops_when_the_sweep_is_over(client, campaign, proveedor, at):
    brief, _, templates = campaign(n=2)
    sweep = make_sweep(brief, templates["sms"], proveedor)
    drain(sweep)
    Sweep.objects.filter(pk=sweep.pk).update(state=SweepState.DONE)
    client.force_login(proveedor)
    live = client.get(f"/barridos/{sweep.pk}/avance/", **HX).content.decode()
    assert "Terminado" in live
    assert "hx-trigger" not in live
    assert "Pausar" not in live
    assert "Cancelar" not in live


def test_pause_resume_cancel_through_the_views(client, campaign, proveedor):
    brief, _, templates = campaign(n=3)
    sweep = make_sweep(brief, templates["sms"], proveedor)
    client.force_login(proveedor)
    # pause (htmx): the live block comes back with the new state and a Resume button
    live = client.post(f"/barridos/{sweep.pk}/pausar/", **HX).content.decode()
    sweep.refresh_from_db()
    assert sweep.state == SweepState.PAUSED
    assert "En pausa" in live
    assert "Reanudar" in live
    assert "Barrido en pausa: no se enviarán más mensajes." in live
    # resume (plain form): redirect to the page
    response = client.post(f"/barridos/{sweep.pk}/reanudar/")
    assert response.status_code == 302
    assert response["Location"] == f"/barridos/{sweep.pk}/"
    sweep.refresh_from_db()
    assert sweep.state == SweepState.RUNNING
    # resuming a running sweep is refused with a message, nothing changes
    live = client.post(f"/barridos/{sweep.pk}/reanudar/", **HX).content.decode()
    assert "No se puede reanudar un barrido «En curso»." in live
    sweep.refresh_from_db()
    assert sweep.state == SweepState.RUNNING
    # cancel
    client.post(f"/barridos/{sweep.pk}/cancelar/", **HX)
    sweep.refresh_from_db()
    assert sweep.state == SweepState.CANCELLED
    assert sweep.finished_at is not None
    assert Message.objects.filter(sweep=sweep, status="queued").count() == 3
    assert list(
        AuditEvent.objects.filter(type__startswith="SWEEP_").order_by("id").values_list(
            "type", flat=True)
    ) == ["SWEEP_CREATED", "SWEEP_PAUSED", "SWEEP_RESUMED", "SWEEP_CANCELLED"]  # fmt: skip


def test_failed_messages_are_listed_masked(client, campaign, proveedor, accounts, at):
    brief, _, templates = campaign(n=3, channels=("sms",))
    accounts["locmem"].options = {"fail_to": ["+573000000002"]}
    accounts["locmem"].save()
    sweep = make_sweep(brief, templates["sms"], proveedor)
    drain(sweep)
    client.force_login(proveedor)
    body = client.get(f"/barridos/{sweep.pk}/").content.decode()
    assert "+57300***0002" in body
    assert "+573000000002" not in body
    assert "rejected" in body
    assert "Fallido" in body


def test_decide_unknown_messages(client, campaign, proveedor, at):
    brief, _, templates = campaign(n=4)
    sweep = make_sweep(brief, templates["sms"], proveedor)
    drain(sweep)
    # a crash left two messages unknown
    ids = list(Message.objects.filter(sweep=sweep).order_by("id").values_list("id", flat=True))
    Message.objects.filter(id__in=ids[:2]).update(status=MessageStatus.UNKNOWN, rank=2)
    client.force_login(proveedor)
    body = client.get(f"/barridos/{sweep.pk}/").content.decode()
    assert "2 mensajes en estado desconocido" in body
    assert "Contar como enviados" in body
    assert "Contar como no enviados" in body
    # when the operator counts them as not sent
    live = client.post(f"/barridos/{sweep.pk}/desconocidos/", {"decision": "failed"},
                       **HX).content.decode()  # fmt: skip
    assert "2 mensajes desconocidos contados como no enviados." in live
    assert "Contar como enviados" not in live
    assert Message.objects.filter(sweep=sweep, status="failed").count() == 2
    assert Message.objects.filter(sweep=sweep, status="sent").count() == 2
    # a bad decision changes nothing
    response = client.post(f"/barridos/{sweep.pk}/desconocidos/", {"decision": "maybe"})
    assert response.status_code == 302
    assert Message.objects.filter(sweep=sweep, status="failed").count() == 2


def test_requester_sees_the_sweep_without_controls(client, campaign, proveedor, solicitante):
    brief, _, templates = campaign(n=2)
    sweep = make_sweep(brief, templates["sms"], proveedor)
    client.force_login(solicitante)
    body = client.get(f"/barridos/{sweep.pk}/").content.decode()
    assert "Avance por estado" in body
    assert "Pausar" not in body
    response = client.post(f"/barridos/{sweep.pk}/pausar/")
    assert response.status_code == 403
    sweep.refresh_from_db()
    assert sweep.state == SweepState.RUNNING


def test_outsider_gets_403_everywhere(client, campaign, proveedor, outsider):
    brief, _, templates = campaign(n=2)
    sweep = make_sweep(brief, templates["sms"], proveedor)
    client.force_login(outsider)
    for url in (
        f"/briefs/{brief.code}/barridos/",
        f"/briefs/{brief.code}/barridos/nuevo/",
        f"/barridos/{sweep.pk}/",
        f"/barridos/{sweep.pk}/avance/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/barridos/{sweep.pk}/cancelar/").status_code == 403
    assert client.post(f"/barridos/{sweep.pk}/desconocidos/",
                       {"decision": "sent"}).status_code == 403  # fmt: skip
    sweep.refresh_from_db()
    assert sweep.state == SweepState.RUNNING


def test_anonymous_is_sent_to_login(client, campaign, proveedor):
    brief, _, templates = campaign(n=2)
    sweep = make_sweep(brief, templates["sms"], proveedor)
    response = client.get(f"/barridos/{sweep.pk}/")
    assert response.status_code == 302
    assert "/cuenta/ingresar/" in response["Location"]


@pytest.mark.parametrize(
    ("to", "masked"),
    [
        ("+573001234567", "+57300***4567"),
        ("persona@correo.co", "pe***@correo.co"),
        ("6012345", "60***45"),
        ("123", "***"),
    ],
)
def test_mask(to, masked):
    assert mask(to) == masked


# --- the e-mail open pixel --------------------------------------------------------------


@pytest.mark.django_db
def test_open_pixel_marks_the_email_read_once_and_the_report_counts_it(
    client, campaign, proveedor, monkeypatch
):
    import re

    from django.conf import settings

    from brief.dispatch import report
    from brief.dispatch.models import StatusEvent
    from tests.helpers import send_email_sweep, smtp_account
    from tests.services import smtp_sink

    with smtp_sink() as (port, sink):
        account = smtp_account(port)
        brief, _t, messages = send_email_sweep(campaign, proveedor, monkeypatch, account, n=2)
    # given the HTML part of a sent e-mail carries its signed pixel
    mail = next(m for m in sink.messages if m["To"] == messages[0].to)
    html = mail.get_body(("html",)).get_content()
    src = re.search(r'<img src="([^"]+)" width="1" height="1" alt=""', html).group(1)
    assert src.startswith(f"{settings.SITE_URL}/o/")
    assert str(messages[0].pk) not in src.rsplit("/o/", 1)[1].split(":")[1:]  # signed, not bare
    assert report.build(brief)["totals"]["read"] == 0
    # when the mail client fetches it (twice)
    path = src[len(settings.SITE_URL) :]
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
        assert response.content.startswith(b"GIF89a")
        assert "no-store" in response["Cache-Control"]
    # then the message is read, once, and the report's read total moves
    assert Message.objects.get(pk=messages[0].pk).status == MessageStatus.READ
    assert Message.objects.get(pk=messages[1].pk).status == MessageStatus.SENT
    assert StatusEvent.objects.filter(provider="correo", status="read").count() == 1
    data = report.build(brief)
    assert data["totals"]["read"] == 1
    assert data["read_tracking"]["email"] == "pixel"
    assert any("Apple Mail" in text for text in data["read_tracking"]["email_limits"])


@pytest.mark.django_db
def test_open_pixel_with_a_bad_token_is_404_and_writes_nothing(client, campaign, proveedor, at):
    from django.urls import reverse

    from brief.content.links import open_pixel_url
    from brief.dispatch.models import StatusEvent

    brief, _, templates = campaign(n=1, channels=("email",))
    sweep = make_sweep(brief, templates["email"], proveedor)
    message = Message.objects.get(sweep=sweep)
    genuine = open_pixel_url(message.pk).rsplit("/o/", 1)[1].rstrip("/")
    forged = genuine.replace(genuine.split(":")[0], str(message.pk + 1), 1)
    for token in (forged, "x", genuine[:-2] + "zz", f"{message.pk}"):
        response = client.get(reverse("dispatch:open_pixel", args=[token]))
        assert response.status_code == 404
    assert not StatusEvent.objects.exists()
    assert Message.objects.get(pk=message.pk).status == message.status


@pytest.mark.django_db
def test_open_pixel_of_a_message_never_sent_is_404(client, campaign, proveedor, at):
    from django.urls import reverse

    from brief.content.links import open_pixel_url
    from brief.dispatch.models import StatusEvent

    brief, _, templates = campaign(n=1, channels=("email",))
    sweep = make_sweep(brief, templates["email"], proveedor)
    message = Message.objects.get(sweep=sweep)  # queued: no provider id yet
    token = open_pixel_url(message.pk).rsplit("/o/", 1)[1].rstrip("/")
    assert client.get(reverse("dispatch:open_pixel", args=[token])).status_code == 404
    assert not StatusEvent.objects.exists()
    assert Message.objects.get(pk=message.pk).status == message.status
