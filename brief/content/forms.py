"""Forms of the content editor; they only shape input for :mod:`brief.content.actions`."""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .choices import (
    CREATIVE_EXTENSIONS,
    STANDARD_FIELDS,
    Channel,
    MissingPolicy,
    QuestionKind,
    WaCategory,
)
from .models import Creative, Template
from .sanitize import fits_visual_editor

_KIND_WORDS = {
    "texto": QuestionKind.TEXT,
    "si_no": QuestionKind.YES_NO,
    "sí_no": QuestionKind.YES_NO,
    "numero": QuestionKind.NUMBER,
    "número": QuestionKind.NUMBER,
    "fecha": QuestionKind.DATE,
    "nps": QuestionKind.NPS,
    "csat": QuestionKind.CSAT,
}
_KIND_NAMES = {v: k for k, v in _KIND_WORDS.items() if "í" not in k and "ú" not in k}
QUESTION_LINE = re.compile(r"^\?\s*([^\s(:]+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")

SCRIPT_HELP = _(
    "Una sección empieza con «# Título». Las preguntas empiezan con «?»: "
    "«? clave (si_no): ¿Texto?»; tipos: texto, si_no, numero, fecha, nps (0 a 10), "
    "csat (1 a 5) u "
    "«opciones: A / B / C». Puede usar campos como {nombres}."
)


def parse_script(source: str) -> list[dict]:
    """The editor's plain-text script (``# Section``, ``? key (kind): text``) as sections."""
    sections: list[dict] = []
    current: dict | None = None
    for raw in (source or "").replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if line.startswith("#"):
            current = {"title": line.lstrip("#").strip(), "text": "", "questions": []}
            sections.append(current)
            continue
        if current is None:
            if not line.strip():
                continue
            current = {"title": "Guion", "text": "", "questions": []}
            sections.append(current)
        match = QUESTION_LINE.match(line.strip())
        if match:
            key, kind_text, text = match.groups()
            kind: str = QuestionKind.TEXT
            options: list[str] = []
            kind_text = (kind_text or "").strip()
            if kind_text.lower().startswith("opciones"):
                kind = QuestionKind.CHOICE
                options = [o.strip() for o in kind_text.split(":", 1)[-1].split("/") if o.strip()]
            elif kind_text:
                kind = _KIND_WORDS.get(kind_text.lower().replace(" ", "_"), kind_text)
            current["questions"].append(
                {"key": key, "kind": kind, "text": text.strip(), "options": options}
            )
        else:
            current["text"] = f"{current['text']}\n{line}" if current["text"] else line
    for section in sections:
        section["text"] = section["text"].strip()
    return sections


def format_script(sections: list[dict]) -> str:
    """Inverse of :func:`parse_script`."""
    blocks = []
    for section in sections or []:
        lines = [f"# {section.get('title', '')}"]
        if section.get("text"):
            lines.append(section["text"])
        for q in section.get("questions") or []:
            kind = q.get("kind", QuestionKind.TEXT)
            if kind == QuestionKind.CHOICE:
                spec = "opciones: " + " / ".join(q.get("options") or [])
            else:
                spec = _KIND_NAMES.get(kind, kind)
            lines.append(f"? {q.get('key', '')} ({spec}): {q.get('text', '')}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def parse_fallbacks(source: str) -> dict[str, str]:
    out = {}
    for line in (source or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            if key.strip():
                out[key.strip().strip("{}")] = value.strip()
    return out


def format_fallbacks(fallbacks: dict) -> str:
    return "\n".join(f"{k} = {v}" for k, v in (fallbacks or {}).items())


class TemplateForm(forms.Form):
    """All channels in one form; the editor shows the fields of the template's channel."""

    name = forms.CharField(label=_("Nombre de la plantilla"), max_length=120, required=False)
    body = forms.CharField(
        label=_("Mensaje"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "true"}),
    )
    subject = forms.CharField(label=_("Asunto"), max_length=255, required=False)
    html = forms.CharField(
        label=_("Cuerpo del correo"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono"}),
        help_text=_(
            "Si tiene algo que no se envía por seguridad (scripts, atributos «on…», enlaces "
            "«javascript:»), se le indica qué y no se guarda."
        ),
    )
    text = forms.CharField(
        label=_("Cuerpo en texto plano"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Si lo deja vacío se genera a partir del HTML."),
    )
    sender = forms.CharField(
        label=_("Remitente"),
        max_length=254,
        required=False,  # required for e-mail by the action, which the API shares
        help_text=_("Nombre y dirección, p. ej. «ICETEX <notificaciones@icetex.gov.co>»."),
    )
    reply_to = forms.CharField(label=_("Responder a"), max_length=254, required=False)
    wa_name = forms.CharField(
        label=_("Nombre aprobado en WhatsApp"),
        max_length=512,
        required=False,
        help_text=_("Minúsculas, números y «_», como quedó aprobada en Meta."),
    )
    wa_language = forms.CharField(label=_("Idioma"), max_length=10, required=False, initial="es")
    wa_category = forms.ChoiceField(
        label=_("Categoría"), choices=[("", "—"), *WaCategory.choices], required=False
    )
    wa_variables = forms.CharField(
        label=_("Campos de las variables {{1}}, {{2}}…"),
        required=False,
        help_text=_("Separados por comas, en orden: p. ej. «nombres, saldo»."),
    )
    wa_button_url = forms.URLField(
        label=_("URL del botón (opcional)"), required=False, assume_scheme="https"
    )
    voice_audio = forms.ModelChoiceField(
        label=_("Audio grabado (opcional)"), queryset=Creative.objects.none(), required=False
    )
    script = forms.CharField(
        label=_("Guion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=SCRIPT_HELP,
    )
    missing_policy = forms.ChoiceField(
        label=_("Si a un destinatario le falta un dato"),
        choices=MissingPolicy.choices,
        widget=forms.RadioSelect,
        initial=MissingPolicy.SKIP,
    )
    fallbacks = forms.CharField(
        label=_("Valores alternativos"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Uno por línea: «campo = valor», p. ej. «nombres = beneficiario»."),
    )

    def __init__(self, *args, channel: str, brief, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.visual = False  # an e-mail body the visual editor shows without loss
        if channel == Channel.VOICE:
            voice_audio = cast(forms.ModelChoiceField, self.fields["voice_audio"])
            voice_audio.queryset = Creative.objects.filter(
                brief=brief, name__regex=r"\.(mp3|wav|ogg)$"
            )
        if channel == Channel.SMS:
            self.fields["body"].label = _("Texto del SMS")
        elif channel == Channel.WHATSAPP:
            self.fields["body"].label = _("Cuerpo de la plantilla")
        elif channel == Channel.VOICE:
            self.fields["body"].label = _("Texto para locución")
        elif channel == Channel.EMAIL:
            self.fields["sender"].widget.attrs["aria-required"] = "true"
            self.fields["subject"].widget.attrs["aria-required"] = "true"
            # (not self["html"]: a bound field caches its label before it changes below)
            html = (self.data.get("html") if self.is_bound else self.initial.get("html")) or ""
            self.visual = fits_visual_editor(html)
            if self.visual:
                # content/mail_editor.js turns this textarea into the visual editor
                self.fields["html"].widget.attrs.update({"data-mail-editor": "", "class": ""})
            else:
                self.fields["html"].label = _("Cuerpo del correo (HTML)")

    @classmethod
    def initial_for(cls, template: Template) -> dict:
        return {
            "name": template.name,
            "body": template.body,
            "subject": template.subject,
            "html": template.html,
            "text": template.text,
            "sender": template.sender,
            "reply_to": template.reply_to,
            "wa_name": template.wa_name,
            "wa_language": template.wa_language,
            "wa_category": template.wa_category,
            "wa_variables": ", ".join(template.wa_variables or []),
            "wa_button_url": template.wa_button_url,
            "voice_audio": template.voice_audio_id,
            "script": format_script(template.script_sections),
            "missing_policy": template.missing_policy,
            "fallbacks": format_fallbacks(template.fallbacks),
        }

    def to_data(self) -> dict:
        """The fields of this channel, as :func:`actions.create_template` takes them."""
        d = self.cleaned_data
        data = {
            "name": d["name"],
            "missing_policy": d["missing_policy"],
            "fallbacks": parse_fallbacks(d["fallbacks"]),
        }
        if self.channel in {Channel.SMS, Channel.WHATSAPP, Channel.VOICE}:
            data["body"] = d["body"]
        if self.channel == Channel.EMAIL:
            data.update({k: d[k] for k in ("subject", "html", "text", "sender", "reply_to")})
        if self.channel == Channel.WHATSAPP:
            data.update({k: d[k] for k in ("wa_name", "wa_language", "wa_category")})
            data["wa_button_url"] = d["wa_button_url"]
            data["wa_variables"] = [v.strip() for v in d["wa_variables"].split(",") if v.strip()]
        if self.channel == Channel.VOICE:
            data["voice_audio"] = d["voice_audio"]
        if self.channel == Channel.CALL:
            data["script_sections"] = parse_script(d["script"])
        return data


class CreativeForm(forms.Form):
    channel = forms.ChoiceField(label=_("Canal"), choices=Channel.choices)
    file = forms.FileField(
        label=_("Archivo"),
        help_text=format_lazy(
            "{}{}", _("Imágenes, PDF o audio: "), ", ".join(sorted(CREATIVE_EXTENSIONS))
        ),
    )
    description = forms.CharField(label=_("Descripción"), max_length=200, required=False)

    def __init__(self, *args, channels: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if channels:
            channel = cast(forms.ChoiceField, self.fields["channel"])
            channel.choices = [c for c in Channel.choices if c[0] in channels]


class PreviewContactForm(forms.Form):
    document = forms.CharField(label=_("Documento del contacto (opcional)"), required=False)


FIELD_HELP = ", ".join(f"{{{k}}}" for k in STANDARD_FIELDS)
