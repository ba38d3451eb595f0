"""E-mail HTML: what is kept (nh3 / ammonia), what would be removed for safety, and whether the
visual editor can show a body without losing anything.

``sanitize_html`` is what every saved e-mail body goes through. Before it runs,
``unsafe_removals`` lists, in Spanish, the dangerous parts it would drop (elements such as
``<script>``, event handler attributes, links with a scheme other than http, https, mailto or
tel), so the author is told instead of finding them silently gone. Harmless clean-ups (a
``class``, a link's ``target``) are not reported.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import nh3
from django.utils.translation import gettext

# E-mail HTML: nh3's safe tags, plus presentational attributes and a safe subset of CSS.
EMAIL_ATTRIBUTES: dict[str, set[str]] = {
    tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()
} | {"*": {"style", "align", "width", "height", "bgcolor", "title", "dir", "lang"}}
EMAIL_ATTRIBUTES["a"] = {*EMAIL_ATTRIBUTES.get("a", set()), "title"}
EMAIL_ATTRIBUTES["table"] = {
    *EMAIL_ATTRIBUTES.get("table", set()),
    "border",
    "cellpadding",
    "cellspacing",
    "role",
}
EMAIL_CSS = {
    "color", "background-color", "background", "font-family", "font-size", "font-weight",
    "font-style", "line-height", "text-align", "text-decoration", "padding", "padding-top",
    "padding-bottom", "padding-left", "padding-right", "margin", "margin-top", "margin-bottom",
    "margin-left", "margin-right", "border", "border-collapse", "border-radius", "width",
    "max-width", "height", "display", "vertical-align",
}  # fmt: skip
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Attributes whose value is a URL the recipient's client would follow or load.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "cite", "srcset"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20]+")

# What the visual editor (content/mail_editor.js) represents: a body made only of these tags
# and attributes opens in it unchanged; anything else (inline styles, tables, images) is
# edited as HTML so that opening and saving never drops a part of it.
VISUAL_TAGS = {
    "p", "br", "h1", "h2", "h3", "strong", "b", "em", "i", "u", "s", "strike", "del", "a",
    "ul", "ol", "li", "blockquote", "hr",
}  # fmt: skip
VISUAL_ATTRIBUTES = {"a": {"href", "title", "rel", "target"}, "ol": {"start"}}


def sanitize_html(source: str) -> str:
    """E-mail HTML without scripts, event handlers or unsafe URLs (nh3 / ammonia)."""
    return nh3.clean(
        source or "",
        attributes=EMAIL_ATTRIBUTES,
        filter_style_properties=EMAIL_CSS,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


class _Tags(HTMLParser):
    """The start tags of a document with their attributes, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))

    handle_startendtag = handle_starttag


def _tags(source: str) -> list[tuple[str, list[tuple[str, str]]]]:
    parser = _Tags()
    parser.feed(source or "")
    parser.close()
    return parser.tags


def unsafe_scheme(url: str) -> str | None:
    """The scheme of ``url`` when it is not one an e-mail may link to (``javascript``…)."""
    match = _SCHEME.match(_CONTROL.sub("", url).lower())
    if match and match.group(1) not in URL_SCHEMES:
        return match.group(1)
    return None


def unsafe_removals(source: str) -> list[str]:
    """What :func:`sanitize_html` would remove from ``source`` for safety, in Spanish, one
    phrase per kind (``"la etiqueta <script> (2 veces)"``); empty when nothing dangerous."""
    counts: Counter[str] = Counter()
    for tag, attrs in _tags(source):
        if tag not in nh3.ALLOWED_TAGS:
            counts[gettext("la etiqueta <%(tag)s>") % {"tag": tag}] += 1
            continue
        for name, value in attrs:
            if name.startswith("on"):
                counts[
                    gettext("el atributo «%(name)s» de <%(tag)s>") % {"name": name, "tag": tag}
                ] += 1
            elif name in URL_ATTRIBUTES and (scheme := unsafe_scheme(value)):
                counts[
                    gettext("el enlace «%(scheme)s:» de <%(tag)s>") % {"scheme": scheme, "tag": tag}
                ] += 1
    return [
        phrase if n == 1 else gettext("%(phrase)s (%(n)s veces)") % {"phrase": phrase, "n": n}
        for phrase, n in counts.items()
    ]


def fits_visual_editor(source: str) -> bool:
    """Whether the visual editor shows ``source`` without dropping any tag or attribute."""
    for tag, attrs in _tags(source):
        if tag not in VISUAL_TAGS:
            return False
        allowed = VISUAL_ATTRIBUTES.get(tag, set())
        if any(name not in allowed for name, _value in attrs):
            return False
    return True
