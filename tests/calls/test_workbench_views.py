"""The workbench pages: only assigned advisors reach a campaign's workbench; the held contact
with its filled-in script and questions; one form that records the call and loads the next;
Spanish errors that keep what was typed; the training banner; release."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from brief.calls.models import Interaction, QueueEntry
from brief.campaigns.models import AdvisorAssignment, Training
from brief.core.roles import Role
from tests.calls.conftest import with_survey

pytestmark = pytest.mark.django_db


def _claim(client, brief):
    return client.post(reverse("calls:workbench_next", args=[brief.code]), follow=True)


def test_the_advisor_home_lists_only_assigned_call_campaigns(client, workbench_campaign, asesor):
    brief, _, _ = workbench_campaign
    client.force_login(asesor)
    page = client.get(reverse("calls:workbench_home")).content.decode()
    assert brief.name in page
    assert reverse("calls:workbench", args=[brief.code]) in page
    assert 'href="/puesto/"' in client.get(reverse("core:home")).content.decode()
    AdvisorAssignment.objects.filter(brief=brief).delete()
    assert brief.name not in client.get(reverse("calls:workbench_home")).content.decode()


def test_only_assigned_advisors_reach_a_workbench(
    client, workbench_campaign, asesor, proveedor, make_user, outsider
):
    brief, _, _ = workbench_campaign
    url = reverse("calls:workbench", args=[brief.code])
    other = make_user("otro", Role.ASESOR, provider=asesor.provider)
    for user, status in ((other, 403), (proveedor, 403), (outsider, 403)):
        client.force_login(user)
        assert client.get(url).status_code == status
        assert client.post(reverse("calls:workbench_next", args=[brief.code])).status_code == status
    assert not QueueEntry.objects.filter(holder__isnull=False).exists()
    client.force_login(asesor)
    assert client.get(url).status_code == 200
    assert client.get(reverse("calls:workbench", args=["BRF-2099-0001"])).status_code == 404


def test_next_contact_shows_the_filled_script_and_questions(client, workbench_campaign, asesor):
    brief, _, _ = workbench_campaign
    client.force_login(asesor)
    page = _claim(client, brief).content.decode()
    entry = QueueEntry.objects.get(holder=asesor)
    contact = entry.contact
    assert contact.full_name in page
    assert (
        f"¿hablo con {contact.first_names} {contact.last_names}? "
        f"Su saldo es {contact.custom['saldo']}." in page
    )
    assert "¿Qué canal prefiere?" in page
    assert 'name="answer_canal"' in page
    assert 'value="WhatsApp"' in page
    assert 'id="tip-buscar"' in page
    assert "autofocus" in page
    assert 'accesskey="g"' in page
    assert "No aparece en ninguna capacitación" in page


def test_the_training_banner_goes_away_once_trained(client, workbench_campaign, asesor, proveedor):
    brief, _, _ = workbench_campaign
    training = Training.objects.create(
        brief=brief, held_on=dt.date(2026, 12, 1), topic="Guion", recorded_by=proveedor
    )
    training.advisors.add(asesor)
    client.force_login(asesor)
    page = client.get(reverse("calls:workbench", args=[brief.code])).content.decode()
    assert "No aparece en ninguna capacitación" not in page


def test_saving_records_the_call_and_loads_the_next_contact(client, workbench_campaign, asesor):
    brief, sweep, leaves = workbench_campaign
    client.force_login(asesor)
    _claim(client, brief)
    entry = QueueEntry.objects.get(holder=asesor)
    response = client.post(
        reverse("calls:workbench_work", args=[brief.code, entry.pk]),
        {
            "typification": leaves["CD01"].pk,
            "observations": "Actualizó el correo.",
            "answer_satisfecho": "sí",
            "answer_canal": "Correo",
            "answer_comentario": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.typification, interaction.observations) == (
        leaves["CD01"],
        "Actualizó el correo.",
    )
    assert interaction.answers["canal"] == "Correo"
    assert interaction.sweep_id == sweep.pk
    nxt = QueueEntry.objects.get(holder=asesor)
    assert nxt.pk != entry.pk
    page = response.content.decode()
    assert interaction.code in page
    assert nxt.contact.full_name in page
    # the figures are the results page's call figures, with their definitions
    assert '<dd id="cifra-efectivos">1</dd>' in page
    assert '<dd id="cifra-en-gestion">1</dd>' in page
    effectiveness = re.search(r'<div class="figure-card" id="efectividad">.*?</div>', page, re.S)
    assert effectiveness
    assert "100,0 %" in effectiveness.group()
    assert "Contactos efectivos (objetivo cumplido) ÷ contactos con el titular." in page


def _refused(client, brief, advisor, data):
    """Claim a contact and post ``data`` for it, expecting a 400; the page's text."""
    _claim(client, brief)
    entry = QueueEntry.objects.get(holder=advisor)
    response = client.post(reverse("calls:workbench_work", args=[brief.code, entry.pk]), data)
    assert response.status_code == 400
    assert not Interaction.objects.exists()
    assert QueueEntry.objects.get(pk=entry.pk).holder == advisor
    return response.content.decode()


def test_errors_keep_what_was_typed_and_say_what_is_wrong(client, workbench_campaign, asesor):
    brief, _, leaves = workbench_campaign
    client.force_login(asesor)
    past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = _refused(
        client,
        brief,
        asesor,
        {"observations": "Dijo que sí paga.", "answer_canal": "SMS", "callback_at": past},
    )
    assert "Elija la tipificación de la llamada." in page
    assert "Dijo que sí paga." in page
    assert re.search(r'name="answer_canal" value="SMS"[^>]*checked', page)
    # a callback in the past is refused too, with its reason
    page = _refused(client, brief, asesor, {"typification": leaves["CD02"].pk, "callback_at": past})
    assert "La rellamada debe quedar en el futuro." in page


def test_release_and_nothing_left(client, workbench_campaign, asesor):
    brief, _, _ = workbench_campaign
    client.force_login(asesor)
    _claim(client, brief)
    entry = QueueEntry.objects.get(holder=asesor)
    page = client.post(
        reverse("calls:workbench_release", args=[brief.code, entry.pk]), follow=True
    ).content.decode()
    assert "Contacto liberado" in page
    assert not QueueEntry.objects.filter(holder__isnull=False).exists()
    QueueEntry.objects.update(closed=True)
    page = _claim(client, brief).content.decode()
    assert "Todos los contactos de la cola están cerrados" in page


def test_nps_and_csat_questions_are_radio_scales(client, workbench_campaign, asesor):
    brief, _, _ = workbench_campaign
    with_survey(brief)
    client.force_login(asesor)
    page = _claim(client, brief).content.decode()
    nps = re.findall(r'name="answer_recomendaria" value="(\d+)"', page)
    csat = re.findall(r'name="answer_satisfaccion" value="(\d+)"', page)
    assert nps == [str(n) for n in range(11)]
    assert csat == ["1", "2", "3", "4", "5"]
    assert 'type="date" name="answer_pago"' in page


# --- the person's history on the workbench ---


def test_the_held_contact_history_shows_other_campaigns_and_omits_silent_ones(
    client, workbench_campaign, campaign, asesor, proveedor, at
):
    from brief.calls import actions
    from brief.core.models import AuditEvent
    from tests.helpers import DISPATCH_HEADER, drain, sweep_for

    brief, _, _ = workbench_campaign
    client.force_login(asesor)
    page = _claim(client, brief).content.decode()
    entry = QueueEntry.objects.select_related("contact").get(holder=asesor)
    url = reverse("calls:workbench_history", args=[brief.code, entry.pk])
    # the claim's page loads the history lazily
    assert f'hx-get="{url}"' in page
    person = entry.contact
    row = f"{person.doc_number},{person.first_names},{person.last_names},{person.mobile},,,5\n"
    # another campaign sent them an SMS and a third one called them; a fourth never did
    texted, _base, templates = campaign(content=DISPATCH_HEADER + row)
    drain(sweep_for(texted, templates["sms"], proveedor))
    called, base, _templates = campaign(content=DISPATCH_HEADER + row, channels=("call",))
    for seen in (texted, called):
        AdvisorAssignment.objects.create(brief=seen, advisor=asesor, assigned_by=proveedor)
    actions.record_interaction(
        called,
        actor=asesor,
        data={
            "channel": "call",
            "contact": base.contacts.get().pk,
            "observations": "Pide llamar en la tarde.",
            "external_id": "DIAL-7",
        },
    )
    silent, _base, _templates = campaign(content=DISPATCH_HEADER + row)
    # when the workbench loads the held contact's history
    response = client.get(url)
    # then the message and the call are there, the silent campaign is not, and it was logged
    assert response.status_code == 200
    html = response.content.decode()
    rows = set(re.findall(r'data-campaign="([^"]+)" data-channel="([^"]+)"', html))
    assert rows == {(texted.code, "sms"), (called.code, "call")}
    assert silent.code not in html
    assert "Pide llamar en la tarde." in html
    sms = re.search(r"<details>.*?</details>", html, re.S)  # the SMS content is collapsible
    assert sms
    assert f"Hola {person.first_names}, su saldo es 5." in sms.group()
    event = AuditEvent.objects.filter(type="BENEFICIARY_LOOKED_UP").latest("id")
    assert set(event.details["briefs"]) == {texted.code, called.code}


def test_only_the_holder_loads_a_queue_entry_history(client, workbench_campaign, asesor):
    brief, _, _ = workbench_campaign
    entry = QueueEntry.objects.filter(brief=brief).first()
    client.force_login(asesor)
    url = reverse("calls:workbench_history", args=[brief.code, entry.pk])
    assert client.get(url).status_code == 404
