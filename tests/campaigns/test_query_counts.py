"""The pages people open all day ask the database the same number of questions however many
briefs there are: no query per brief, per row or per action (issue «pages that stay fast»)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brief.campaigns.choices import Status
from brief.campaigns.workspace import TABS
from tests.helpers import finished_sweep

STATUSES = [Status.SUBMITTED, Status.IN_REVIEW, Status.FORWARDED, Status.EXECUTING]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def counts(client, urls: dict[str, str]) -> dict[str, int]:
    for url in urls.values():
        client.get(url)  # warm: caches of the process (content types, permissions, …)
    return {name: queries(client, url) for name, url in urls.items()}


def more_briefs(make_brief, n: int) -> None:
    for i in range(n):
        make_brief(STATUSES[i % len(STATUSES)])


LISTS = {
    "inicio": reverse("core:home"),
    "pendientes": reverse("campaigns:home_panels"),
    "lista": reverse("campaigns:brief_list"),
    "lista filtrada": reverse("campaigns:brief_list") + "?status=executing&page=1",
}
BOARD = {
    "tablero": reverse("campaigns:board"),
    "tablero con cerrados": reverse("campaigns:board") + "?cerrados=1",
}


@pytest.mark.parametrize(
    ("who", "pages"),
    [
        ("analista", {**LISTS, **BOARD}),
        ("lider", {**LISTS, **BOARD}),
        ("solicitante", LISTS),
        ("proveedor", LISTS),
    ],
)
def test_lists_ask_as_much_for_eight_briefs_as_for_four(client, make_brief, request, who, pages):
    # given a user of each side and a brief in each state the lists show
    client.force_login(request.getfixturevalue(who))
    more_briefs(make_brief, 4)
    few = counts(client, pages)
    # when as many more exist
    more_briefs(make_brief, 4)
    # then every list asked the same number of queries
    assert counts(client, pages) == few


def test_a_brief_its_tabs_its_sweep_and_its_report_ignore_the_other_briefs(
    client, make_brief, analista, proveedor
):
    # given a brief in execution with a finished sweep, opened by OCM
    brief = make_brief(Status.EXECUTING)
    sweep = finished_sweep(brief, proveedor)
    client.force_login(analista)
    urls = {
        "brief": reverse("campaigns:brief_detail", args=[brief.code]),
        **{
            f"pestaña {tab}": reverse("campaigns:brief_tab", args=[brief.code, tab]) for tab in TABS
        },
        "barrido": reverse("dispatch:sweep_detail", args=[sweep.pk]),
        "informe": reverse("reports:campaign", args=[brief.code]),
    }
    alone = counts(client, urls)
    # when seven other briefs exist, one of them with its own sweep
    more_briefs(make_brief, 6)
    finished_sweep(make_brief(Status.EXECUTING), proveedor)
    # then the brief's pages asked the same queries
    assert counts(client, urls) == alone
