"""Forms and filters of the brief UI (the F559 form, attachments, actions, questions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brief.accounts.models import Provider
from brief.core.forms import DateInput, date_field

from .actions import abroad_problem
from .choices import (
    CHANGE_FILE_KINDS,
    AttachmentKind,
    CampaignClass,
    Channel,
    ChecklistItem,
    Kind,
)
from .models import FORM_FIELDS, Brief

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The five sections of the Formato F559: (number, title, model fields).
SECTIONS: list[tuple[int, StrOrPromise, list[str]]] = [
    (
        1,
        _("Campaña"),
        [
            "name",
            "objective",
            "description",
            "campaign_class",
            "kind",
            "channels",
            "start_date",
            "end_date",
        ],
    ),
    (2, _("Público"), ["audience", "estimated_base_size", "includes_abroad"]),
    (3, _("Contenido por canal"), ["content", "typification_codes"]),
    (
        4,
        _("Requisitos del informe"),
        [
            "read_register",
            "tracked_links",
            "sweeps_planned",
            "fields_to_collect",
            "target_contact_rate",
            "target_effectiveness",
        ],
    ),
    (5, _("Observaciones"), ["observations"]),
]

CONTENT_PREFIX = "content_"


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class BriefForm(forms.ModelForm):
    """The F559 in five sections. Only the campaign name is required to save a draft;
    completeness is checked at submission (``actions.submission_problems``).

    The form never saves: the view passes :meth:`brief_data` to ``actions.create_brief`` or
    ``actions.update_brief``.
    """

    channels = forms.MultipleChoiceField(
        label=_("Canales"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Puede elegir varios."),
    )
    target_contact_rate = forms.DecimalField(
        label=_("Meta de contactabilidad (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    target_effectiveness = forms.DecimalField(
        label=_("Meta de efectividad (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        model = Brief
        fields = [f for f in FORM_FIELDS if f not in {"content"}]
        labels = {
            "name": _("Nombre de la campaña"),
            "objective": _("Objetivo"),
            "description": _("Descripción"),
            "campaign_class": _("Clase de campaña"),
            "kind": _("Tipo de campaña"),
            "start_date": _("Fecha de inicio deseada"),
            "end_date": _("Fecha de fin deseada"),
            "audience": _("Público objetivo"),
            "estimated_base_size": _("Tamaño estimado de la base (registros)"),
            "includes_abroad": _("Incluye beneficiarios en el exterior"),
            "typification_codes": _("Tipificaciones sugeridas"),
            "read_register": _("Requiere registro de lectura"),
            "tracked_links": _("Enlaces a medir"),
            "sweeps_planned": _("Número de barridos"),
            "fields_to_collect": _("Datos a recolectar"),
            "observations": _("Observaciones"),
        }
        help_texts = {
            "start_date": _("Debe radicarse al menos 3 días hábiles antes de esta fecha."),
            "includes_abroad": _(
                "Los beneficiarios en el exterior solo se contactan por WhatsApp y correo."
            ),
            "typification_codes": _("Una por línea, p. ej. «Actualizó datos»."),
            "tracked_links": _("Una URL por línea."),
            "fields_to_collect": _("Para campañas de recolección de información."),
        }
        widgets = {
            "objective": _textarea(),
            "description": _textarea(4),
            "start_date": DateInput(),
            "end_date": DateInput(),
            "audience": _textarea(),
            "typification_codes": _textarea(),
            "tracked_links": _textarea(2),
            "fields_to_collect": _textarea(2),
            "observations": _textarea(4),
        }
        error_messages = {
            "name": {"required": _("Escriba el nombre de la campaña.")},
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        content = (self.instance.content or {}) if self.instance else {}
        for value, label in Channel.choices:
            self.fields[f"{CONTENT_PREFIX}{value}"] = forms.CharField(
                label=gettext("Mensaje o guion — %(channel)s") % {"channel": label},
                required=False,
                widget=_textarea(),
                initial=content.get(value, ""),
            )
        # A draft may leave these for later: the model defaults apply.
        for name in ("campaign_class", "kind", "sweeps_planned"):
            self.fields[name].required = False
        cast(forms.ChoiceField, self.fields["campaign_class"]).choices = CampaignClass.choices
        cast(forms.ChoiceField, self.fields["kind"]).choices = Kind.choices
        cast(forms.IntegerField, self.fields["sweeps_planned"]).min_value = 1
        self.fields["sweeps_planned"].validators.append(MinValueValidator(1))
        self.fields["sweeps_planned"].widget.attrs["min"] = 1
        for name in ("target_contact_rate", "target_effectiveness"):
            self.fields[name].widget.attrs.update({"min": 0, "max": 100, "step": "0.01"})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date", gettext("La fecha de fin no puede ser anterior a la de inicio.")
            )
        if abroad := abroad_problem(cleaned.get("includes_abroad"), cleaned.get("channels")):
            self.add_error("channels", abroad)
        return cleaned

    def brief_data(self) -> dict[str, Any]:
        """The cleaned F559 fields as the actions expect them (``content`` as a dict)."""
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        for name in ("campaign_class", "kind", "sweeps_planned"):
            if data.get(name) in (None, ""):
                data[name] = (
                    getattr(self.instance, name)
                    if self.instance.pk
                    else cast(models.Field, Brief._meta.get_field(name)).default
                )
        data["channels"] = [c for c in Channel.values if c in (data.get("channels") or [])]
        for name in ("objective", "description", "audience", "typification_codes"):
            data[name] = data[name] or ""
        data["content"] = {
            value: text.strip()
            for value in Channel.values
            if (text := self.cleaned_data.get(f"{CONTENT_PREFIX}{value}") or "").strip()
        }
        return data

    def sections(self) -> list[dict[str, Any]]:
        """Bound fields grouped by F559 section, for the template."""
        out = []
        for number, title, names in SECTIONS:
            fields: list[forms.BoundField] = []
            for name in names:
                if name == "content":
                    fields.extend(self[f"{CONTENT_PREFIX}{value}"] for value in Channel.values)
                else:
                    fields.append(self[name])
            out.append({"number": number, "title": title, "fields": fields})
        return out


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipo de documento"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("Archivo"),
        error_messages={
            "required": _("Elija el archivo."),
            "empty": _("El archivo está vacío."),
        },
    )

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any):
        kwargs.setdefault("auto_id", "id_attachment_%s")
        super().__init__(*args, **kwargs)
        if kinds is not None:
            kind = cast(forms.ChoiceField, self.fields["kind"])
            kind.choices = [(k, AttachmentKind(k).label) for k in kinds]


class ReplaceForm(forms.Form):
    """A new version of one file of the brief (its kind travels along as a check)."""

    kind = forms.ChoiceField(choices=AttachmentKind.choices, required=False)
    file = forms.FileField(
        label=_("Nueva versión"),
        error_messages={
            "required": _("Elija el archivo de la nueva versión."),
            "empty": _("El archivo está vacío."),
        },
    )


class ActionForm(forms.Form):
    """The note of a workflow action, plus the return checklist or the forward provider."""

    note = forms.CharField(label=_("Comentario"), required=False, widget=_textarea(2))

    def __init__(self, action: str, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action
        if action == "return":
            self.fields["note"].label = gettext("Motivos de la devolución")
            self.fields["note"].help_text = gettext(
                "Obligatorio: explique qué debe corregir el área."
            )
            for value, label in ChecklistItem.choices:
                self.fields[f"check_{value}"] = forms.BooleanField(
                    label=label, required=False, initial=True
                )
        elif action == "forward":
            self.fields["provider"] = forms.ModelChoiceField(
                label=gettext("Proveedor"),
                queryset=Provider.objects.filter(active=True),
                to_field_name="code",
                required=False,
                empty_label=None,
                error_messages={"invalid_choice": gettext("Elija un proveedor activo.")},
            )
        elif action == "return_results":
            self.fields["note"].label = gettext("Motivos de la devolución de los resultados")
            self.fields["note"].help_text = gettext(
                "Obligatorio: explique qué debe corregir el proveedor en los resultados."
            )
        elif action == "reject_results":
            self.fields["note"].label = gettext("Motivos del rechazo")
            self.fields["note"].help_text = gettext(
                "Obligatorio: explique por qué el área no acepta los resultados; OCM los "
                "revisará de nuevo."
            )
        elif action == "accept":
            self.fields["note"].label = gettext("Nota de aceptación")
        elif action == "cancel":
            self.fields["note"].label = gettext("Motivo de la cancelación")
        elif action == "refuse_exit":
            self.fields["note"].label = gettext("Motivos del rechazo de la salida")
            self.fields["note"].help_text = gettext(
                "Obligatorio: explique qué debe corregir el proveedor antes de pedir la salida "
                "de nuevo."
            )

    def checklist_fields(self):
        return [self[f"check_{value}"] for value in ChecklistItem.values if self.action == "return"]

    def params(self) -> dict[str, Any]:
        """Keyword arguments for ``actions.perform`` besides ``note``."""
        if self.action == "return":
            return {
                "checklist": {
                    value: bool(self.cleaned_data.get(f"check_{value}"))
                    for value in ChecklistItem.values
                }
            }
        if self.action == "forward":
            provider = self.cleaned_data.get("provider")
            return {"provider": provider.code} if provider else {}
        return {}


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Pregunta"),
        widget=_textarea(2),
        max_length=4000,
        error_messages={"required": _("Escriba la pregunta.")},
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Respuesta"),
        widget=_textarea(2),
        max_length=4000,
        error_messages={"required": _("Escriba la respuesta.")},
    )

    def __init__(self, *args: Any, question_id: int | None = None, **kwargs: Any):
        kwargs.setdefault("auto_id", f"id_answer{question_id or ''}_%s")
        super().__init__(*args, **kwargs)


class ChangeRequestForm(forms.Form):
    """A scope change: the reason and only the values that change (blank = unchanged)."""

    reason = forms.CharField(
        label=_("Motivo del cambio"),
        widget=_textarea(2),
        max_length=4000,
        error_messages={"required": _("Explique el motivo del cambio.")},
    )
    start_date = date_field(_("Nueva fecha de inicio"))
    end_date = date_field(_("Nueva fecha de fin"))
    channels = forms.MultipleChoiceField(
        label=_("Nuevos canales"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sweeps_planned = forms.IntegerField(label=_("Nuevo número de barridos"), required=False)
    target_contact_rate = forms.DecimalField(
        label=_("Nueva meta de contactabilidad (%)"), required=False, max_digits=5
    )
    target_effectiveness = forms.DecimalField(
        label=_("Nueva meta de efectividad (%)"), required=False, max_digits=5
    )
    file_kind = forms.ChoiceField(
        label=_("Archivo que cambia"),
        required=False,
        choices=[("", _("Ninguno")), *((k, AttachmentKind(k).label) for k in CHANGE_FILE_KINDS)],
    )
    file = forms.FileField(label=_("Archivo nuevo"), required=False)

    FIELDS = (
        "start_date",
        "end_date",
        "channels",
        "sweeps_planned",
        "target_contact_rate",
        "target_effectiveness",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", "id_change_%s")
        super().__init__(*args, **kwargs)

    def changes(self) -> dict[str, Any]:
        """The filled fields, for ``actions.file_change``."""
        return {
            name: self.cleaned_data[name]
            for name in self.FIELDS
            if self.cleaned_data.get(name) not in (None, "", [])
        }


class ApprovalNoteForm(forms.Form):
    """The optional comment of giving or asking for an in-app approval."""

    note = forms.CharField(label=_("Comentario"), required=False, widget=_textarea(2))

    def __init__(self, which: str, *args: Any, step: str = "give", **kwargs: Any):
        kwargs.setdefault("auto_id", f"id_{step}_{which}_%s")
        super().__init__(*args, **kwargs)


class ApprovalRefusalForm(forms.Form):
    """The reason of refusing an in-app approval (required)."""

    reason = forms.CharField(
        label=_("Motivo del rechazo"),
        widget=_textarea(2),
        max_length=2000,
        help_text=_("Obligatorio: explique qué debe corregir el área antes de pedirlo de nuevo."),
        error_messages={"required": _("Escriba el motivo del rechazo del aval.")},
    )

    def __init__(self, which: str, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", f"id_refuse_{which}_%s")
        super().__init__(*args, **kwargs)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Nota de OCM"), required=False, widget=_textarea(2))


class KickOffForm(forms.Form):
    held_on = date_field(_("Fecha de la reunión"), required=True)
    attendees = forms.CharField(
        label=_("Asistentes (uno por línea)"),
        widget=_textarea(3),
        max_length=4000,
        error_messages={"required": _("Indique quiénes asistieron.")},
    )
    minutes = forms.FileField(label=_("Acta (archivo)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", "id_kickoff_%s")
        super().__init__(*args, **kwargs)


class TrainingForm(forms.Form):
    held_on = date_field(_("Fecha de la capacitación"), required=True)
    topic = forms.CharField(label=_("Tema"), max_length=300)
    advisors = forms.MultipleChoiceField(
        label=_("Asesores capacitados"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Elija al menos un asesor.")},
    )
    material = forms.FileField(label=_("Material (archivo)"), required=False)

    def __init__(self, *args: Any, advisors: list[tuple[str, str]] | None = None, **kwargs: Any):
        kwargs.setdefault("auto_id", "id_training_%s")
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["advisors"]).choices = advisors or []
