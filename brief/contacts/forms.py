"""Forms of the contact-base pages: column mapping, segment filters, suppressions.

Forms only shape and validate input; the views hand the cleaned data to :mod:`.actions`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brief.campaigns.choices import Channel

from .choices import SuppressionChannel
from .reader import FIELD_LABELS, FIELDS, BaseFileError, resolve_mapping

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The mapping select: every field, with the wording of the mapping screen.
FIELD_CHOICES = [
    (f, gettext_lazy("Campo adicional") if f == "custom" else FIELD_LABELS[f]) for f in FIELDS
]
YES_NO = [("", gettext_lazy("Todos")), ("1", gettext_lazy("Sí")), ("0", gettext_lazy("No"))]
DOCUMENT_RE = re.compile(r"^[0-9A-Za-z]{4,15}$")


def normalize_document(value: str) -> str:
    """Cleaning rule 2: drop spaces, dots, commas and hyphens."""
    return re.sub(r"[\s.,\-\u2010-\u2015]", "", value or "").upper()


class MappingForm(forms.Form):
    """One select per header of the file (``col_<i>``) plus the channels of the import."""

    sheet = forms.CharField(required=False, widget=forms.HiddenInput)
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Canales de la campaña"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Elija al menos un canal.")},
        help_text=gettext_lazy("Un registro sin contacto válido en estos canales se rechaza."),
    )

    def __init__(self, *args, headers: list[str], mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=header,
                choices=FIELD_CHOICES,
                initial=mapping.get(header, "custom"),
                error_messages={"invalid_choice": gettext_lazy("Elija un campo de la lista.")},
            )

    def rows(self) -> list[tuple[str, forms.BoundField]]:
        return [(h, self[f"col_{i}"]) for i, h in enumerate(self.headers)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mapping = {h: data[f"col_{i}"] for i, h in enumerate(self.headers) if f"col_{i}" in data}
        if len(mapping) == len(self.headers):
            try:
                data["mapping"] = resolve_mapping(self.headers, mapping)
            except BaseFileError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return data


# Filter on the results of earlier sweeps (value, label).
SWEEP_RESULT_CHOICES: list[tuple[str, StrOrPromise]] = [
    ("", gettext_lazy("Cualquiera")),
    ("not_delivered", gettext_lazy("No entregados")),
    ("not_contacted", gettext_lazy("No contactados")),
    ("delivered", gettext_lazy("Entregados")),
    ("read", gettext_lazy("Leídos")),
    ("failed", gettext_lazy("Fallidos o rebotados")),
]


class SegmentForm(forms.Form):
    """Filters of a segment (all optional) and, to save it, its name."""

    city = forms.CharField(label=gettext_lazy("Ciudad"), required=False, max_length=120)
    department = forms.CharField(label=gettext_lazy("Departamento"), required=False, max_length=120)
    country = forms.CharField(label=gettext_lazy("País"), required=False, max_length=80)
    abroad = forms.ChoiceField(label=gettext_lazy("En el exterior"), choices=YES_NO, required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Canal elegible"), required=False)
    custom_field = forms.ChoiceField(label=gettext_lazy("Campo adicional"), required=False)
    custom_value = forms.CharField(label=gettext_lazy("Valor del campo adicional"), required=False)
    sweeps = forms.ChoiceField(
        label=gettext_lazy("Resultado en barridos anteriores"),
        required=False,
        choices=SWEEP_RESULT_CHOICES,
    )
    name = forms.CharField(
        label=gettext_lazy("Nombre del segmento"), required=False, max_length=120
    )

    def __init__(self, *args, channels: list[str], custom_fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Channel.choices)
        channel = cast(forms.ChoiceField, self.fields["channel"])
        custom = cast(forms.ChoiceField, self.fields["custom_field"])
        channel.choices = [("", _("Cualquiera")), *((c, labels.get(c, c)) for c in channels)]
        custom.choices = [("", "—"), *((f, f) for f in custom_fields)]
        if not custom_fields:
            self.fields["custom_field"].disabled = True
            self.fields["custom_value"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("custom_value") and not data.get("custom_field"):
            self.add_error("custom_field", _("Elija el campo adicional del valor."))
        return data

    def filters(self) -> dict[str, Any]:
        """The cleaned filters in the shape ``actions.segment_queryset`` expects."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for key in ("city", "department", "country", "channel", "sweeps"):
            if (data.get(key) or "").strip():
                out[key] = data[key].strip()
        if data.get("abroad") in ("0", "1"):
            out["abroad"] = data["abroad"] == "1"
        if data.get("custom_field") and (data.get("custom_value") or "").strip():
            out["custom"] = {data["custom_field"]: data["custom_value"].strip()}
        return out


class SuppressionForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Canal"),
        choices=SuppressionChannel.choices,
        initial=SuppressionChannel.ALL,
    )
    value = forms.CharField(
        label=gettext_lazy("Teléfono, correo o documento"),
        max_length=254,
        help_text=gettext_lazy("Ej.: 3001234567, persona@correo.co o CC:1020304050."),
        error_messages={"required": gettext_lazy("Escriba el teléfono, correo o documento.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Motivo"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Indique el motivo de la exclusión.")},
    )


class RNEForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Archivo del RNE (CSV o XLSX)"),
        help_text=gettext_lazy("Un número por fila o una columna de celulares."),
        error_messages={
            "required": gettext_lazy("Adjunte el archivo del RNE."),
            "empty": gettext_lazy("El archivo está vacío."),
            "invalid": gettext_lazy("Adjunte un archivo."),
        },
    )
