"""Server-rendered charts show under the CSP: no inline CSS in the SVG, nothing dropped."""

from __future__ import annotations

import re

from brief.contacts import charts
from brief.reports import dashboards


def test_charts_carry_presentation_attributes_instead_of_inline_css(monkeypatch):
    # given every kind of chart Brief draws, with the SVG matplotlib wrote captured
    written: list[str] = []
    convert = charts.without_inline_css

    def spy(text: str) -> str:
        written.append(text)
        return convert(text)

    monkeypatch.setattr(charts, "without_inline_css", spy)
    charts.forget()  # drawn now, not taken from an earlier test
    # when
    out = [
        charts.bar_chart(["Uno", "Dos"], [3, 1200], color="#0a7d3b", xlabel="X", prefix="b"),
        dashboards.line_chart(
            ["2026-10", "2026-11"], {"A": [50.0, None], "B": [20.0, 80.0]}, ylabel="%", prefix="l"
        ),
        dashboards.stacked_chart(
            [
                {"label": "SMS", "sent": 10, "delivered": 6, "not_sent": 2, "pending": 1},
                {"label": "Correo", "sent": 4, "delivered": 4, "not_sent": 0, "pending": 0},
            ],
            prefix="s",
        ),
    ]
    # then no style attribute or element is left, and every CSS property matplotlib used has
    # a presentation attribute of its name (none is silently dropped)
    assert len(written) == 3
    for svg in out:
        assert " style=" not in svg
        assert "<style" not in svg
        assert svg.startswith('<svg aria-hidden="true" focusable="false" stroke-linejoin="round"')
    used = {
        declaration.split(":")[0].strip()
        for text in written
        for style in re.findall(r' style="([^"]*)"', text)
        for declaration in style.split(";")
        if declaration.strip()
    }
    assert {"fill", "stroke", "font-size", "font-family", "text-anchor"} <= used
    assert used <= charts.PRESENTATION_ATTRIBUTES
    # the bar colour and the label font survive as attributes
    assert 'fill="#0a7d3b"' in out[0]
    assert 'text-anchor="end"' in out[0]


def test_a_chart_asked_for_again_is_not_drawn_again(monkeypatch):
    # given a chart drawn once
    charts.forget()
    drawn: list[str] = []
    convert = charts.svg
    monkeypatch.setattr(
        charts, "svg", lambda figure, prefix: drawn.append(prefix) or convert(figure, prefix)
    )
    first = charts.bar_chart(["Uno", "Dos"], [3, 7], color="#0a7d3b", xlabel="X", prefix="c")
    # when the same figures are asked for again, and then other figures
    again = charts.bar_chart(("Uno", "Dos"), (3, 7), color="#0a7d3b", xlabel="X", prefix="c")
    other = charts.bar_chart(["Uno", "Dos"], [3, 8], color="#0a7d3b", xlabel="X", prefix="c")
    # then the same SVG came back without drawing, and new figures were drawn
    assert again == first
    assert other != first
    assert drawn == ["c", "c"]
