"""The new-sweep form's forecast (htmx), its start field, and the sweep page's reason links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from brief.contacts.models import Contact, person_key
from brief.core.calendar import BOGOTA
from brief.dispatch import actions, engine
from brief.dispatch.models import DailyContact, Message, Sweep

pytestmark = pytest.mark.django_db

OPEN = dt.datetime(2026, 12, 9, 10, 0, tzinfo=BOGOTA)  # a Wednesday, inside the window
HX = {"HTTP_HX_REQUEST": "true"}
CAPPED = "Una comunicación por persona al día"


@pytest.fixture
def at(monkeypatch):
    monkeypatch.setattr(engine, "clock", lambda: OPEN)
    return OPEN


def _capped_campaign(campaign, n=4, capped=3):
    """A brief whose first ``capped`` people were already contacted today (by a call)."""
    brief, base, templates = campaign(n=n, channels=("sms",))
    for i, contact in enumerate(Contact.objects.filter(base=base).order_by("row")[:capped]):
        DailyContact.objects.create(
            person=person_key(contact.doc_type, contact.doc_number),
            day=OPEN.date(),
            interaction_id=10 + i,
        )
    return brief, base, templates


def _sms_form(templates, start_at: str) -> dict[str, str]:
    fields = {"channel": "sms", "template": str(templates["sms"].pk), "include": "all"}
    return {**fields, "provider_account": "locmem", "start_at": start_at}


def _forecast_url(brief, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('dispatch:sweep_forecast', args=[brief.code])}?{query}"


def test_the_form_loads_and_refreshes_its_forecast_with_htmx(client, campaign, proveedor, at):
    brief, _, _ = campaign(n=3, channels=("sms",))
    client.force_login(proveedor)
    page = client.get(reverse("dispatch:sweep_create", args=[brief.code])).content.decode()
    # the forecast block asks the endpoint on load and on every change of the form
    assert f'hx-get="{reverse("dispatch:sweep_forecast", args=[brief.code])}"' in page
    assert 'hx-trigger="load, change from:closest form delay:300ms"' in page
    assert 'hx-params="not csrfmiddlewaretoken"' in page
    assert "<script>" not in page  # strict CSP: no inline script


def test_forecast_counts_now_deferred_and_why(client, campaign, proveedor, at):
    brief, _, _ = _capped_campaign(campaign)
    client.force_login(proveedor)
    response = client.get(_forecast_url(brief, channel="sms", provider_account="locmem"), **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Se envían ahora" in body
    assert '<dd data-reason="send">1</dd>' in body
    assert '<dd data-reason="daily_cap">3</dd>' in body
    assert "Aplazados hasta el jueves 10/12/2026 a las 08:00" in body
    assert "por: una comunicación por persona al día" in body
    assert not Sweep.objects.exists()  # a forecast writes nothing


def test_forecast_with_the_cap_exception_sends_everyone(client, campaign, proveedor, at):
    brief, _, _ = _capped_campaign(campaign)
    client.force_login(proveedor)
    url = _forecast_url(brief, channel="sms", ignore_daily_cap="on", exception_reason="x")
    body = client.get(url, **HX).content.decode()
    assert '<dd data-reason="send">4</dd>' in body
    assert 'data-reason="daily_cap"' not in body


def test_forecast_without_a_channel_asks_for_one(client, campaign, proveedor, at):
    brief, _, _ = campaign(n=2, channels=("sms", "email"))
    client.force_login(proveedor)
    body = client.get(_forecast_url(brief), **HX).content.decode()
    assert "Escoja el canal para ver cuántos destinatarios" in body


def test_forecast_is_for_those_who_create_sweeps(
    client, campaign, at, solicitante, outsider, asesor
):
    brief, _, _ = campaign(n=2, channels=("sms",))
    url = _forecast_url(brief, channel="sms")
    for user in (solicitante, outsider, asesor):
        client.force_login(user)
        response = client.get(url, **HX)
        assert response.status_code in (403, 404), user.username
        assert b"data-reason" not in response.content
    client.logout()
    assert client.get(url, **HX).status_code == 302  # to the login page


def test_forecast_as_ocm_analyst(client, campaign, analista, at):
    brief, _, _ = campaign(n=2, channels=("sms",))
    client.force_login(analista)
    body = client.get(_forecast_url(brief, channel="sms"), **HX).content.decode()
    assert '<dd data-reason="send">2</dd>' in body


def test_a_past_start_is_refused_in_spanish(client, campaign, proveedor, at):
    brief, _, templates = campaign(n=2, channels=("sms",))
    client.force_login(proveedor)
    data = _sms_form(templates, "2026-12-08T09:30")
    response = client.post(reverse("dispatch:sweep_create", args=[brief.code]), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "La fecha de inicio (08/12/2026 09:30) ya pasó." in body
    assert not Sweep.objects.exists()
    # the forecast says it too, and counts from now
    forecast = client.get(_forecast_url(brief, **data), **HX).content.decode()
    assert "ya pasó" in forecast
    assert '<dd data-reason="send">2</dd>' in forecast
    # an invalid date gets its own message
    response = client.post(
        reverse("dispatch:sweep_create", args=[brief.code]), {**data, "start_at": "mañana"}
    )
    assert response.status_code == 400
    assert "Escriba una fecha y hora válidas." in response.content.decode()


def test_start_defaults_to_now_in_bogota(client, campaign, proveedor, at):
    brief, _, _ = campaign(n=2, channels=("sms",))
    client.force_login(proveedor)
    page = client.get(reverse("dispatch:sweep_create", args=[brief.code])).content.decode()
    assert 'type="datetime-local"' in page
    assert 'value="2026-12-09T10:00"' in page


def test_a_start_a_few_minutes_old_starts_now(client, campaign, proveedor, at):
    brief, _, templates = campaign(n=2, channels=("sms",))
    client.force_login(proveedor)
    data = _sms_form(templates, "2026-12-09T09:50")  # the form was opened ten minutes ago
    response = client.post(reverse("dispatch:sweep_create", args=[brief.code]), data)
    assert response.status_code == 302
    assert Sweep.objects.get().start_at < OPEN - dt.timedelta(days=1)  # the engine's "now"


def test_sweep_page_links_each_held_back_count_to_its_messages(
    client, campaign, proveedor, solicitante, at
):
    brief, _, templates = _capped_campaign(campaign)
    sweep = actions.create_sweep(
        brief, actor=proveedor, channel="sms", template=templates["sms"], provider_account="locmem"
    )
    engine.Runner(sweep).run(budget_seconds=30)
    # the requester sees the reasons too (reading is allowed to whoever sees the brief)
    client.force_login(solicitante)
    page = client.get(reverse("dispatch:sweep_detail", args=[sweep.pk])).content.decode()
    listing_url = reverse("dispatch:sweep_messages", args=[sweep.pk])
    link = f"{listing_url}?estado=deferred&amp;motivo=daily_cap"
    assert f'<a href="{link}">3 aplazados</a>' in page
    assert "hasta el jueves 10/12/2026 a las 08:00" in page
    assert "por: una comunicación por persona al día" in page
    # the link lists those three, masked, with the new time and the reason
    listing = client.get(link.replace("&amp;", "&")).content.decode()
    assert listing.count(f"Aplazado hasta el 10/12/2026 a las 08:00 por: {CAPPED.lower()}") == 3
    assert "+573000000001" not in listing
    assert Message.objects.filter(sweep=sweep, status="deferred").count() == 3


def test_window_link_lists_the_queued_messages_until_it_opens(
    client, campaign, proveedor, monkeypatch
):
    saturday = dt.datetime(2026, 12, 12, 16, 0, tzinfo=BOGOTA)
    monkeypatch.setattr(engine, "clock", lambda: saturday)
    brief, _, templates = campaign(n=2, channels=("sms",))
    sweep = actions.create_sweep(
        brief, actor=proveedor, channel="sms", template=templates["sms"], provider_account="locmem"
    )
    engine.Runner(sweep).run(budget_seconds=30)
    client.force_login(proveedor)
    page = client.get(reverse("dispatch:sweep_detail", args=[sweep.pk])).content.decode()
    assert "?estado=queued&amp;motivo=window" in page
    assert "hasta el lunes 14/12/2026 a las 08:00 por: la franja horaria" in page
    url = reverse("dispatch:sweep_messages", args=[sweep.pk]) + "?estado=queued&motivo=window"
    listing = client.get(url).content.decode()
    assert listing.count("En cola hasta el 14/12/2026 a las 08:00 por: la franja horaria") == 2


def test_message_list_is_scoped_and_tolerates_bad_filters(
    client, campaign, proveedor, outsider, at
):
    brief, _, templates = campaign(n=2, channels=("sms",))
    sweep = actions.create_sweep(
        brief, actor=proveedor, channel="sms", template=templates["sms"], provider_account="locmem"
    )
    url = reverse("dispatch:sweep_messages", args=[sweep.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(proveedor)
    response = client.get(url + "?estado=nada&motivo=%3Cx%3E&page=abc")
    assert response.status_code == 200
    assert "No hay mensajes con este estado y motivo." in response.content.decode()


def test_forecast_warns_of_people_queued_in_another_running_sweep(client, campaign, proveedor, at):
    # given a first sweep created but not yet sent (its runner has not claimed anything)
    brief, _, templates = campaign(n=3, channels=("sms", "email"))
    actions.create_sweep(
        brief, actor=proveedor, channel="sms", template=templates["sms"], provider_account="locmem"
    )
    client.force_login(proveedor)
    # when the form foresees an e-mail sweep to the same people today
    body = client.get(_forecast_url(brief, channel="email"), **HX).content.decode()
    # then it says they go now, but that the first sweep may take their day
    assert '<dd data-reason="send">3</dd>' in body
    assert "3 de ellos ya están en cola en otro barrido en curso" in body
    # and without the cap there is nothing to warn about
    url = _forecast_url(brief, channel="email", ignore_daily_cap="on")
    assert "en otro barrido en curso" not in client.get(url, **HX).content.decode()


def test_forecast_of_a_brief_not_in_execution_says_so(client, campaign, proveedor, at):
    brief, _, _ = campaign(n=2, channels=("sms",))
    brief.status = "results_review"
    brief.save(update_fields=["status"])
    client.force_login(proveedor)
    body = client.get(_forecast_url(brief, channel="sms"), **HX).content.decode()
    assert "Los barridos se crean con la campaña en ejecución" in body
    assert "data-reason" not in body
