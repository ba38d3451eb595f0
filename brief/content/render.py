"""Personalization: compile a template once per sweep, render it per recipient, fast.

``compile_template(template)`` parses the placeholders (``{nombres}``, ``{saldo}``, any
custom field by its header, matched without regard to case or accents; ``{{1}}``… in
WhatsApp bodies) and the links, and prepares one ``str.format`` string per part, so
``Renderer.render(fields, message_id=…)`` is a handful of dictionary look-ups, one HMAC per
link and one ``format`` call (well over 50,000 renders/s for an SMS with two placeholders).

With ``message_id`` every ``http(s)`` link of an SMS or e-mail is rewritten to the
recipient's signed ``SITE_URL/l/<token>``. WhatsApp bodies are left alone (Meta sends the
approved text), and voice and call texts have no links to click.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from django.conf import settings
from django.utils.translation import gettext

from brief.core.exceptions import Conflict

from .choices import (
    FIELD_ALIASES,
    STANDARD_FIELDS,
    UNSUBSCRIBE_PLACEHOLDER,
    Channel,
    MissingPolicy,
)
from .links import TokenMaker, unsubscribe_url

PLACEHOLDER = re.compile(r"\{\{\s*(\d{1,2})\s*\}\}|\{([^{}\n]{1,60})\}")
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")
HREF = re.compile(r"""(?i)(\bhref\s*=\s*")([^"]*)(")""")
_TRAILING = ".,;:!?)]»”'"
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=4096)
def normalize_field(name: str) -> str:
    """``"Saldo pendiente"`` → ``"saldo_pendiente"``; ``"País"`` → ``"pais"`` (aliases too)."""
    decomposed = unicodedata.normalize("NFKD", str(name))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    key = _NON_ALNUM.sub("_", plain).strip("_")
    return FIELD_ALIASES.get(key, key)


def contact_fields(contact) -> dict[str, str]:
    """The placeholder values of a :class:`brief.contacts.models.Contact` (normalized keys)."""
    out: dict[str, str] = {}
    for header, value in (contact.custom or {}).items():
        if value is not None:
            out[normalize_field(header)] = str(value)
    out.update(
        {
            "nombres": contact.first_names or "",
            "apellidos": contact.last_names or "",
            "nombre_completo": contact.full_name or "",
            "documento": contact.doc_number or "",
            "tipo_documento": contact.doc_type or "",
            "celular": contact.mobile or "",
            "correo": contact.email or "",
            "ciudad": contact.city or "",
            "departamento": contact.department or "",
            "pais": contact.country or "",
        }
    )
    return out


def email_headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe headers for an e-mail."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def html_to_text(source: str) -> str:
    """A plain-text part from sanitized HTML: links as ``text (url)``, blocks as lines."""
    source = re.sub(
        r"""(?is)<a\b[^>]*\bhref\s*=\s*"([^"]*)"[^>]*>(.*?)</a>""",
        lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(1) else m.group(2),
        source,
    )
    source = re.sub(r"(?i)<br\s*/?>|</(p|div|h[1-6]|li|tr|table|blockquote)>", "\n", source)
    text = html_lib.unescape(nh3.clean(source, tags=set()))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def script_text(sections: list) -> str:
    """The call script as the agent reads it: section titles, texts and questions."""
    blocks = []
    for section in sections or []:
        lines = [str(section.get("title", "")).strip()]
        if section.get("text"):
            lines.append(str(section["text"]).strip())
        for q in section.get("questions") or []:
            options = q.get("options") or []
            suffix = f" [{' / '.join(options)}]" if options else ""
            lines.append(f"- {q.get('text', '').strip()}{suffix}")
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks)


@dataclass(slots=True)
class Rendered:
    """One recipient's message; ``skip_reason`` (Spanish) says why it must not be sent."""

    skip_reason: str | None = None
    text: str = ""
    subject: str = ""
    html: str = ""
    wa_params: list[str] = field(default_factory=list)
    wa_button: list[str] = field(default_factory=list)  # URL button suffix: the link token
    links: list[int] = field(default_factory=list)


def _escape_literal(s: str) -> str:
    return s.replace("{", "{{").replace("}", "}}")


class Renderer:
    """A compiled template: call :meth:`render` once per recipient."""

    def __init__(self, template, *, link_ids: dict[str, int] | None = None):
        self.template_id = template.pk
        self.channel = template.channel
        self._policy = template.missing_policy
        self._fallbacks = {
            normalize_field(k): str(v)
            for k, v in (template.fallbacks or {}).items()
            if v is not None and str(v).strip()
        }
        self._link_ids = link_ids or {}
        self._fields: list[tuple[str, str]] = []  # (normalized key, label as written)
        self._field_index: dict[str, int] = {}
        self._links: list[str] = []  # URLs in order of first appearance
        self._link_index: dict[str, int] = {}
        self._uses_unsubscribe = False
        self._has_html = False
        self._site = settings.SITE_URL
        self._tokens = TokenMaker()

        channel = template.channel
        track = channel in {Channel.SMS, Channel.EMAIL}
        wa_vars = list(template.wa_variables or []) if channel == Channel.WHATSAPP else None
        self._wa_slots: list[int] = []
        if wa_vars is not None:
            for name in wa_vars:
                self._wa_slots.append(self._field_slot(str(name)))
        # A WhatsApp URL button is registered at Meta as ``SITE_URL/l/{{1}}``: its parameter
        # is the recipient's tracked-link token, so button clicks count as link opens.
        self._button_url = (
            template.wa_button_url if wa_vars is not None and template.wa_button_url else ""
        )
        if self._button_url:
            self._link_slot(self._button_url)
        parts = {"text": "", "subject": "", "html": ""}
        if channel == Channel.EMAIL:
            parts["subject"] = template.subject or ""
            parts["html"] = template.html or ""
            parts["text"] = template.text or html_to_text(template.html or "")
        elif channel == Channel.CALL:
            parts["text"] = script_text(template.script_sections)
        else:
            parts["text"] = template.body or ""
        tokens = {
            "text": self._tokens_for(parts["text"], "text", track, wa_vars),
            "subject": self._tokens_for(parts["subject"], "text", False, None),
            "html": self._tokens_for(parts["html"], "html", track, None),
        }
        self._has_html = bool(parts["html"])
        self._formats = {name: self._finish(toks) for name, toks in tokens.items()}
        self.links = [self._link_ids[url] for url in self._links if url in self._link_ids]

    # -- compilation --------------------------------------------------------------------

    def _field_slot(self, written: str) -> int:
        key = normalize_field(written)
        if key not in self._field_index:
            self._field_index[key] = len(self._fields)
            self._fields.append((key, written.strip()))
        return self._field_index[key]

    def _link_slot(self, url: str) -> int:
        if url not in self._link_index:
            self._link_index[url] = len(self._links)
            self._links.append(url)
        return self._link_index[url]

    def _placeholders(self, source: str, mode: str, wa_vars: list | None) -> list[tuple]:
        out: list[tuple] = []
        pos = 0
        for m in PLACEHOLDER.finditer(source):
            number, name = m.group(1), m.group(2)
            if number is not None:
                if wa_vars is None or not 1 <= int(number) <= len(wa_vars):
                    continue  # a literal "{{n}}" outside WhatsApp, or an unmapped variable
                slot = self._wa_slots[int(number) - 1]
            else:
                key = normalize_field(name)
                if not key:
                    continue
                if key == UNSUBSCRIBE_PLACEHOLDER and self.channel == Channel.EMAIL:
                    out.append(("lit", source[pos : m.start()]))
                    out.append(("unsub", mode))
                    self._uses_unsubscribe = True
                    pos = m.end()
                    continue
                slot = self._field_slot(name)
            out.append(("lit", source[pos : m.start()]))
            out.append(("field", mode, slot))
            pos = m.end()
        out.append(("lit", source[pos:]))
        return out

    def _tokens_for(self, source: str, mode: str, track: bool, wa_vars) -> list[tuple]:
        if not source:
            return []
        if not track:
            return self._placeholders(source, mode, wa_vars)
        out: list[tuple] = []
        pos = 0
        matches = HREF.finditer(source) if mode == "html" else URL_IN_TEXT.finditer(source)
        for m in matches:
            group = 2 if mode == "html" else 0
            start, end = m.start(group), m.end(group)
            written = m.group(group)
            if mode == "text":
                stripped = written.rstrip(_TRAILING)
                end -= len(written) - len(stripped)
                written = stripped
            url = html_lib.unescape(written) if mode == "html" else written
            out.extend(self._placeholders(source[pos:start], mode, wa_vars))
            if url.startswith(("http://", "https://")) and "{" not in url:
                out.append(("link", mode, self._link_slot(url)))
            else:  # personalized or non-web link: not tracked, placeholders still apply
                out.extend(self._placeholders(written, mode, wa_vars))
            pos = end
        out.extend(self._placeholders(source[pos:], mode, wa_vars))
        return out

    def _finish(self, tokens: list[tuple]) -> str:
        # Value vector of render(): text links, html links, unsubscribe (text, html),
        # field values, then the same values HTML-escaped.
        m, n = len(self._links), len(self._fields)
        pieces = []
        for tok in tokens:
            if tok[0] == "lit":
                pieces.append(_escape_literal(tok[1]))
            elif tok[0] == "link":
                index = tok[2] + (m if tok[1] == "html" else 0)
                pieces.append(f"{{{index}}}")
            elif tok[0] == "unsub":
                index = 2 * m + (1 if tok[1] == "html" else 0)
                pieces.append(f"{{{index}}}")
            else:
                index = 2 * m + 2 + tok[2] + (n if tok[1] == "html" else 0)
                pieces.append(f"{{{index}}}")
        return "".join(pieces)

    @property
    def field_names(self) -> list[str]:
        return [label for _key, label in self._fields]

    # -- rendering ----------------------------------------------------------------------

    def _slow_lookup(self, fields: dict, key: str):
        for name, value in fields.items():
            if normalize_field(name) == key:
                return value
        return None

    def render(self, fields: dict[str, str], *, message_id: int | None = None) -> Rendered:
        """The message for one recipient; ``skip_reason`` set when a value is missing."""
        values: list[str] = []
        for key, label in self._fields:
            value = fields.get(key)
            if value is None:
                value = self._slow_lookup(fields, key)
            if value is not None and value.__class__ is not str:
                value = str(value)
            if not value or value.isspace():
                fallback = (
                    self._fallbacks.get(key) if self._policy == MissingPolicy.FALLBACK else None
                )
                if fallback is None:
                    reason = f"Falta el dato «{label}»"
                    if self._policy == MissingPolicy.FALLBACK:
                        reason += " y la plantilla no tiene valor alternativo"
                    return Rendered(skip_reason=reason)
                value = fallback
            values.append(value)
        if message_id is not None and self._links:
            urls = [
                f"{self._site}/l/{self._tokens.make(self._link_ids[url], message_id)}"
                for url in self._links
            ]
            links = self.links
        else:
            urls = self._links
            links = []
        vector = list(urls)
        vector.extend([html_lib.escape(u) for u in urls] if self._has_html else urls)
        if self._uses_unsubscribe:
            email = fields.get("correo") or ""
            unsub = unsubscribe_url(message_id) if message_id is not None and email else "#"
            vector.append(unsub)
            vector.append(html_lib.escape(unsub))
        else:
            vector.append("")
            vector.append("")
        vector.extend(values)
        if self._has_html:
            vector.extend(html_lib.escape(v) for v in values)
        button = []
        if self._button_url and message_id is not None and self._button_url in self._link_ids:
            button = [self._tokens.make(self._link_ids[self._button_url], message_id)]
        fmt = self._formats
        return Rendered(
            skip_reason=None,
            text=fmt["text"].format(*vector),
            subject=fmt["subject"].format(*vector) if fmt["subject"] else "",
            html=fmt["html"].format(*vector) if fmt["html"] else "",
            wa_params=[values[i] for i in self._wa_slots],
            wa_button=button,
            links=links,
        )


def link_urls(template) -> list[str]:
    """The trackable URLs of a template, in order (what ``TrackedLink`` rows mirror)."""
    return list(Renderer(template)._links)


def compile_template(template, *, verify_frozen: bool = True) -> Renderer:
    """Prepare ``template`` for rendering (once per sweep).

    Creates the missing :class:`TrackedLink` rows of a saved template. A frozen template
    whose content no longer matches its frozen SHA-256 is refused (it is not what was
    approved).
    """
    from .models import TrackedLink

    if (
        verify_frozen
        and template.frozen_sha256
        and template.content_digest() != template.frozen_sha256
    ):
        raise Conflict(
            gettext(
                "La plantilla «%(name)s» no coincide con la versión aprobada (SHA-256 "
                "distinto): no se envía."
            )
            % {"name": template.name},
            code="content_tampered",
        )
    link_ids: dict[str, int] = {}
    if template.pk:
        urls = link_urls(template)
        if urls:
            existing = dict(
                TrackedLink.objects.filter(template=template, url__in=urls).values_list("url", "id")
            )
            for url in urls:
                if url not in existing:
                    link, _ = TrackedLink.objects.get_or_create(
                        template=template, url=url, defaults={"brief_id": template.brief_id}
                    )
                    existing[url] = link.pk
            link_ids = existing
    return Renderer(template, link_ids=link_ids)


def unknown_placeholders(renderer: Renderer, known: set[str]) -> list[str]:
    """Placeholders that are neither standard fields nor in ``known`` (normalized keys)."""
    standard = set(STANDARD_FIELDS)
    return [label for key, label in renderer._fields if key not in standard | known]


def render_script(template, fields: dict[str, str]) -> list[dict]:
    """A call template's script with a contact's data filled in, for the advisor's screen:
    ``[{title, text, questions}]``, each title and text rendered by :class:`Renderer` as a
    message would be (the template's fallbacks apply). A value the contact lacks shows as
    «[label]» instead of skipping the section, so the advisor sees what to ask for."""
    out = []
    for section in template.script_sections or []:
        parts = {}
        for name in ("title", "text"):
            shim = _TextTemplate(template, str(section.get(name) or ""))
            renderer = Renderer(shim)
            values = dict(fields)
            for label in renderer.field_names:
                key = normalize_field(label)
                fallback = renderer._fallbacks.get(key)
                if not str(values.get(key) or "").strip() and not fallback:
                    values[key] = f"[{label}]"
            parts[name] = renderer.render(values).text
        out.append({**parts, "questions": list(section.get("questions") or [])})
    return out


class _TextTemplate:
    """One piece of a script as a template without links (what :class:`Renderer` reads)."""

    channel = Channel.VOICE
    missing_policy = MissingPolicy.FALLBACK
    wa_button_url = ""

    def __init__(self, template, body: str):
        self.pk = None
        self.body = body
        self.fallbacks = dict(template.fallbacks or {})
        self.wa_variables: list = []
