"""Charts of a base's quality summary, rendered on the server as inline SVG (matplotlib).

The figures are built with matplotlib's object API (``Figure`` + the SVG canvas), so no
global pyplot state or GUI backend is involved; text stays text in the SVG (searchable,
sharp) and every chart comes with its numbers in a table next to it for screen readers.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from brief.campaigns.vocabulary import CHANNEL_LABELS, CHANNELS, REJECT_CODES, REJECT_LABELS

INK = "#1d2733"
MUTED = "#5b6776"
GRID = "#d9dee5"
REJECT_COLOR = "#b3261e"
USABLE_COLOR = "#0a7d3b"


def thousands(value: int) -> str:
    """12345 -> '12.345' (Colombian grouping)."""
    return f"{value:,}".replace(",", ".")


def svg(figure: Figure, prefix: str) -> str:
    """``figure`` as inline SVG: text kept as text, sized by CSS, hidden from screen readers
    (the numbers go in a table beside it), element ids prefixed with ``prefix``."""
    buffer = io.StringIO()
    # Text as <text> (not glyph paths): a fraction of the size, and it scales crisply.
    with rc_context({"svg.fonttype": "none"}):
        figure.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            transparent=True,
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    # Inline SVG: drop the XML prolog and DOCTYPE, let CSS size it, hide it from screen
    # readers (the figure's caption and the table carry the numbers).
    text = text[text.index("<svg") :]
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    # Two charts on one page must not share element ids (figure_1, clip paths…).
    text = text.replace(' id="', f' id="{prefix}-').replace("url(#", f"url(#{prefix}-")
    text = text.replace('xlink:href="#', f'xlink:href="#{prefix}-')
    text = without_inline_css(text)
    return text.replace("<svg", '<svg aria-hidden="true" focusable="false"', 1)


# SVG presentation attributes matplotlib writes as CSS (the properties it emits and a few more).
PRESENTATION_ATTRIBUTES = frozenset(
    {
        "clip-path",
        "color",
        "fill",
        "fill-opacity",
        "fill-rule",
        "font-family",
        "font-size",
        "font-stretch",
        "font-style",
        "font-variant",
        "font-weight",
        "opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
    }
)
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"\s*<defs>\s*<style[^>]*>\s*\*\s*\{([^}]*)\}\s*</style>\s*</defs>")


def _attributes(declarations: str) -> str:
    """``fill: #fff; stroke-width: 0.8`` -> `` fill="#fff" stroke-width="0.8"`` (values are
    already escaped for an attribute; properties with no attribute of their name are dropped)."""
    attributes = []
    for declaration in declarations.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in PRESENTATION_ATTRIBUTES and value:
            attributes.append(f' {name}="{value}"')
    return "".join(attributes)


def without_inline_css(text: str) -> str:
    """matplotlib's SVG with its CSS turned into presentation attributes, so it shows under a
    CSP without ``'unsafe-inline'`` styles: each ``style`` attribute becomes attributes of
    the same names, and the ``*{…}`` rule of its ``<style>`` goes on the root ``<svg>``, where
    it is inherited unless an element sets its own (as the inline styles did)."""
    root = ""
    match = _STYLE_ELEMENT.search(text)
    if match:
        root = _attributes(match.group(1))
        text = text[: match.start()] + text[match.end() :]
    text = _STYLE_ATTRIBUTE.sub(lambda m: _attributes(m.group(1)), text)
    return text.replace("<svg", "<svg" + root, 1)


def bar_chart(
    labels: Sequence[str], values: Sequence[int], *, color: str, xlabel: str, prefix: str
) -> str:
    """A horizontal bar chart (largest first at the top) with each value written at its bar.

    Drawing one takes matplotlib a few hundred milliseconds, and the same figures are asked
    for again and again (everyone reading one report): charts are pure functions of their
    arguments, so each process keeps the last ones drawn (:func:`forget` empties it)."""
    return _bar_chart(
        tuple(str(label) for label in labels),
        tuple(int(v) for v in values),
        color,
        str(xlabel),
        prefix,
    )


def forget() -> None:
    """Empty the charts kept by :func:`bar_chart`."""
    _bar_chart.cache_clear()


@functools.lru_cache(maxsize=256)
def _bar_chart(
    labels: tuple[str, ...], values: tuple[int, ...], color: str, xlabel: str, prefix: str
) -> str:
    height = 0.55 * max(len(labels), 1) + 0.9
    figure = Figure(figsize=(6.2, height), dpi=100)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    bars = axes.barh(positions, values, color=color, height=0.6)
    axes.set_yticks(positions, labels=list(labels), fontsize=10, color=INK)
    axes.invert_yaxis()
    axes.bar_label(bars, labels=[thousands(v) for v in values], padding=4, fontsize=10, color=INK)
    top = max(values, default=0)
    axes.set_xlim(0, max(top * 1.18, 1))
    axes.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.xaxis.set_major_formatter(lambda x, _pos: thousands(int(x)))
    axes.tick_params(axis="x", labelsize=9, colors=MUTED)
    axes.tick_params(axis="y", length=0)
    axes.set_xlabel(xlabel, fontsize=9, color=MUTED)
    axes.grid(axis="x", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(GRID)
    return svg(figure, prefix)


def rejects_chart(summary: dict) -> str:
    """Rejected rows by reason (duplicate, missing document, missing name, no valid contact)."""
    rejected = summary.get("rejected") or {}
    labels = [REJECT_LABELS[k] for k in REJECT_CODES]
    values = [int(rejected.get(k, 0) or 0) for k in REJECT_CODES]
    return bar_chart(
        labels, values, color=REJECT_COLOR, xlabel="Registros rechazados", prefix="rechazos"
    )


def channels_chart(summary: dict, channels: Sequence[str] | None = None) -> str:
    """Usable rows by channel: ``channels`` (the campaign's) or all in the summary."""
    usable = summary.get("usable_by_channel") or {}
    keys = [k for k in CHANNELS if k in usable and (not channels or k in channels)]
    labels = [CHANNEL_LABELS[k] for k in keys]
    values = [int(usable.get(k, 0) or 0) for k in keys]
    return bar_chart(
        labels, values, color=USABLE_COLOR, xlabel="Registros usables", prefix="canales"
    )
