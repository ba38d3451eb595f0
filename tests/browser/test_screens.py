"""The screenshots of the README (``docs/screens/``): the main pages on the demo data, at
1366 px and 390 px wide. Not part of ``make test``: regenerate them with ``make screens``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image  # Pillow, installed with matplotlib

from brief.accounts.models import User
from brief.campaigns.models import Brief
from brief.demo import channels, sweeps

pytestmark = [pytest.mark.screens, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
WIDTHS = {"escritorio": (1366, 900), "movil": (390, 844)}
# A long page is cut at this many viewports, to keep the images readable and small.
MAX_VIEWPORTS = 2


def shoot(page, path: Path) -> None:
    """A screenshot of the page's top (at most MAX_VIEWPORTS tall), as a 256-colour PNG."""
    page.wait_for_load_state("networkidle")
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    full = page.evaluate("() => document.documentElement.scrollHeight")
    clip = {"x": 0, "y": 0, "width": width, "height": min(full, height * MAX_VIEWPORTS)}
    page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled")
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def test_screens_of_the_main_pages(browser, live_server):
    # given the demo data and an SMS sweep of its 30-person brief
    call_command("demo_data", quiet_logins=True)
    brief = Brief.objects.get(name=channels.CHANNELS_BRIEF["name"])
    # (its statuses come back at once from the simulated provider: Celery is eager in tests)
    sweep = sweeps.run_to_end(brief, User.objects.get(username="proveedor"), channel="sms")
    shots = {
        "inicio": ("analista", reverse("core:home")),
        "lista": ("analista", reverse("campaigns:brief_list")),
        "tablero": ("analista", reverse("campaigns:board")),
        "brief": ("proveedor", reverse("campaigns:brief_detail", args=[brief.code])),
        "barrido": ("proveedor", reverse("dispatch:sweep_detail", args=[sweep.pk])),
        "informe": ("solicitante", reverse("reports:campaign", args=[brief.code])),
        "auditoria": ("auditor", reverse("core:audit_list")),
    }
    SCREENS.mkdir(parents=True, exist_ok=True)
    written = []
    for device, (width, height) in WIDTHS.items():
        context = browser.new_context(
            locale="es-CO",
            timezone_id="America/Bogota",
            viewport={"width": width, "height": height},
        )
        page = context.new_page()
        signed_in = None
        for name, (username, url) in shots.items():
            if username != signed_in:
                context.clear_cookies()
                page.goto(live_server.url + reverse("accounts:login"))
                page.get_by_label("Usuario").fill(username)
                page.get_by_label("Contraseña").fill("demo")
                page.get_by_role("button", name="Ingresar").click()
                page.wait_for_load_state()
                signed_in = username
            page.goto(live_server.url + url)
            path = SCREENS / f"{name}-{device}.png"
            shoot(page, path)
            written.append(path)
        context.close()
    # then each page has its image at each width
    assert len(written) == len(shots) * len(WIDTHS)
    for path in written:
        with Image.open(path) as image:
            assert image.width in {width for width, _ in WIDTHS.values()}, path
