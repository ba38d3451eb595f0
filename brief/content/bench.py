"""Benchmarks of message rendering (``brief bench``): our renderer against ``str.format``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from brief.core.bench import expect_equal

from .models import Template
from .render import Renderer

BODY = "Hola {nombres}, su saldo es {saldo}: https://icetex.gov.co/x"


def bench_render_sms(workdir: Path, n: int = 200_000) -> dict[str, Any]:
    """Personalized SMS with a tracked link, per second, against a bare ``str.format`` of the
    same text; every rendered text is checked to hold the recipient's name and a tracked link."""
    renderer = Renderer(Template(channel="sms", body=BODY), link_ids={"https://icetex.gov.co/x": 7})
    people = [{"nombres": f"Ana{i % 97}", "saldo": f"${i:,}"} for i in range(n)]
    t0 = time.perf_counter()
    texts = [renderer.render(p, message_id=i).text for i, p in enumerate(people)]
    value = n / (time.perf_counter() - t0)

    plain = BODY.replace("https://icetex.gov.co/x", "{link}")
    t0 = time.perf_counter()
    reference = [plain.format(link=f"l/{i}", **p) for i, p in enumerate(people)]
    reference_value = n / (time.perf_counter() - t0)

    expect_equal(
        "render_sms",
        {"rendered": n, "with name": n, "with tracked link": n, "reference": n},
        {
            "rendered": len(texts),
            "with name": sum(p["nombres"] in t for p, t in zip(people, texts, strict=True)),
            "with tracked link": sum("/l/" in t for t in texts),
            "reference": len(reference),
        },
    )
    return {
        "name": "render_sms",
        "value": value,
        "unit": "msg/s",
        "reference": "str.format of the same text",
        "reference_value": reference_value,
        "n": n,
    }


BENCHMARKS = [bench_render_sms]
