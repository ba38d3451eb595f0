"""The billing statement of a provider for a month: billable interactions and messages by
channel, each exclusion counted and listed with its reason, as JSON, page and XLSX."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import polars as pl
import pytest
from django.urls import reverse

from brief.calls import actions, statement
from brief.core import calendar
from brief.dispatch.models import Message, Sweep
from tests.calls.conftest import recording
from tests.helpers import channel_templates, finished_sweep

IN_MONTH = dt.datetime(2026, 12, 4, 10, 0, tzinfo=calendar.BOGOTA)
LAST_MONTH = dt.datetime(2026, 11, 30, 23, 30, tzinfo=calendar.BOGOTA)

# (channel, typified, external_id, provider_status, recordings) → expected exclusions
INTERACTIONS = [
    (("call", True, "C-1", "", ("audio", "screen")), []),
    (("call", True, "C-2", "", ("audio",)), ["no_screen"]),
    (("call", True, "C-3", "", ("screen",)), ["no_audio"]),
    (("call", True, "", "", ("audio", "screen")), ["no_id"]),
    (("call", False, "C-5", "", ("audio", "screen")), ["untypified"]),
    (("call", False, "", "", ()), ["untypified", "no_id", "no_audio", "no_screen"]),
    (("whatsapp", False, "wamid.1", "read", ()), []),
    (("whatsapp", False, "wamid.2", "", ()), ["no_provider_status"]),
    (("whatsapp", False, "", "", ()), ["no_id", "no_provider_status"]),
]
# (channel, provider id, status) → expected exclusions (all sent in the month)
MESSAGES = [
    (("sms", "P1", "delivered"), []),
    (("sms", "P2", "failed"), []),
    (("sms", "P3", "bounced"), []),
    (("sms", "", "failed"), ["no_id"]),
    (("sms", "P5", "sent"), ["no_provider_status"]),
    (("sms", "P6", "unknown"), ["no_provider_status"]),
    (("sms", "", "sent"), ["no_id", "no_provider_status"]),
    (("whatsapp", "W1", "read"), []),
    (("whatsapp", "W2", "sent"), ["no_provider_status"]),
]


def expected_part(specs) -> dict:
    """The statement part computed here from the specs: per channel and per reason."""
    by_channel: dict[str, Counter] = {}
    reasons: Counter = Counter()
    for spec, excluded in specs:
        counts = by_channel.setdefault(spec[0], Counter())
        counts["total"] += 1
        counts["excluded" if excluded else "billable"] += 1
        reasons.update(excluded)
    return {
        "by_channel": {c: dict(v) for c, v in by_channel.items()},
        "reasons": dict(reasons),
        "billable": sum(1 for _, e in specs if not e),
        "excluded": sum(1 for _, e in specs if e),
    }


@pytest.fixture
def month_of_work(call_campaign, proveedor):
    brief, contacts, leaf = call_campaign
    for (channel, typified, external_id, status, kinds), _ in INTERACTIONS:
        interaction = actions.record_interaction(
            brief,
            actor=proveedor,
            data={
                "channel": channel,
                "typification": leaf.pk if typified else None,
                "external_id": external_id,
                "provider_status": status,
                "started_at": IN_MONTH,
                "contact": contacts[0].pk,
            },
        )
        for kind in kinds:
            actions.attach_recording(
                interaction, actor=proveedor, kind=kind, upload=recording(kind)
            )
    # an interaction of the month before: not in December's statement
    actions.record_interaction(
        brief,
        actor=proveedor,
        data={"channel": "whatsapp", "external_id": "old", "started_at": LAST_MONTH},
    )
    channel_templates(brief, proveedor)
    template = brief.templates.get(channel="whatsapp")
    sweeps = {}
    for channel in ("sms", "whatsapp"):
        sweep = finished_sweep(brief, proveedor)
        Sweep.objects.filter(pk=sweep.pk).update(channel=channel, template=template)
        sweeps[channel] = sweep

    def message(channel, provider_id, status, sent_at):
        Message.objects.create(
            sweep=sweeps[channel],
            contact=contacts[0],
            person="CC:1020304050",
            to="+573001234567",
            status=status,
            provider_message_id=provider_id,
            sent_at=sent_at,
        )

    for (channel, provider_id, status), _ in MESSAGES:
        message(channel, provider_id, status, IN_MONTH)
    message("sms", "", "queued", None)  # never handed to a provider
    message("sms", "OLD", "delivered", LAST_MONTH)  # November
    return brief


def _check_part(part: dict, specs) -> None:
    want = expected_part(specs)
    assert {r["channel"]: {k: r[k] for k in ("total", "billable", "excluded")}
            for r in part["by_channel"]} == {
        c: {"total": v.get("total", 0), "billable": v.get("billable", 0),
            "excluded": v.get("excluded", 0)}
        for c, v in want["by_channel"].items()
    }  # fmt: skip
    assert {e["reason"]: e["count"] for e in part["exclusions"]} == want["reasons"]
    assert part["totals"]["billable"] == want["billable"]
    assert part["totals"]["excluded"] == want["excluded"]


def test_the_statement_counts_each_exclusion_reason(api, month_of_work, proveedor):
    response = api.as_user(proveedor).get(reverse("api:billing_statement"), {"month": "2026-12"})
    assert response.status_code == 200
    body = response.json()
    assert (body["provider"], body["month"]) == (proveedor.provider.code, "2026-12")
    _check_part(body["interactions"], INTERACTIONS)
    _check_part(body["messages"], MESSAGES)
    want_billable = expected_part(INTERACTIONS)["billable"] + expected_part(MESSAGES)["billable"]
    assert body["totals"]["billable"] == want_billable


def test_the_excluded_items_are_listed_with_their_reasons(month_of_work, proveedor):
    month = dt.date(2026, 12, 1)
    listed = list(statement.excluded_interactions(proveedor.provider, month))
    assert sorted(tuple(r["reasons"]) for r in listed) == sorted(
        tuple(e) for _, e in INTERACTIONS if e
    )
    messages = list(statement.excluded_messages(proveedor.provider, month))
    assert sorted(tuple(r["reasons"]) for r in messages) == sorted(
        tuple(e) for _, e in MESSAGES if e
    )


def test_november_holds_only_novembers_work(month_of_work, proveedor):
    built = statement.build(proveedor.provider, dt.date(2026, 11, 1)).as_dict()
    assert built["interactions"]["totals"] == {"total": 1, "billable": 0, "excluded": 1}
    assert built["messages"]["totals"] == {"total": 1, "billable": 1, "excluded": 0}


def test_access(api, month_of_work, proveedor, analista, other_provider_user, solicitante):
    url = reverse("api:billing_statement")
    code = proveedor.provider.code
    assert api.as_user(analista).get(url, {"provider": code}).status_code == 200
    assert api.as_user(other_provider_user).get(url, {"provider": code}).status_code == 403
    assert api.as_user(solicitante).get(url, {"provider": code}).status_code == 403
    own = api.as_user(other_provider_user).get(url, {"month": "2026-12"}).json()
    assert own["interactions"]["totals"]["total"] == 0
    bad = api.as_user(analista).get(url, {"provider": code, "month": "2026-13"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "month")


def test_page_and_xlsx(client, month_of_work, analista, proveedor):
    client.force_login(analista)
    url = reverse("calls:statement")
    params = {"provider": proveedor.provider.pk, "month": "2026-12"}
    page = client.get(url, params)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("/interacciones/INT-") == sum(1 for _, e in INTERACTIONS if e)
    assert "Sin grabación de pantalla" in html
    download = client.get(url, {**params, "format": "xlsx"})
    assert download.status_code == 200
    excluded = pl.read_excel(
        download.content, sheet_name="Interacciones excluidas", infer_schema_length=0
    )
    assert excluded.height == sum(1 for _, e in INTERACTIONS if e)
    messages = pl.read_excel(download.content, sheet_name="Mensajes excluidos")
    assert messages.height == sum(1 for _, e in MESSAGES if e)
