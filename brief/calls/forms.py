"""Forms of the contact-center pages (the actions check the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brief.accounts.models import Area, Provider
from brief.core.exceptions import Invalid
from brief.core.forms import DateInput, DateTimeInput

from . import history
from .choices import FLAGS, MAX_RETRY_HOURS, RecordingKind
from .imports import MAX_ROWS


class NodeForm(forms.Form):
    """A typification node: its place (``parent``), name, code and flags."""

    parent = forms.TypedChoiceField(
        label=_("Dentro de"), coerce=int, empty_value=None, required=False
    )
    label = forms.CharField(label=_("Nombre"), max_length=120)
    code = forms.CharField(label=_("Código ICETEX"), max_length=30, required=False)
    retry_after_hours = forms.IntegerField(
        label=_("Reintentar después de (horas)"),
        min_value=1,
        max_value=MAX_RETRY_HOURS,
        required=False,
    )

    def __init__(self, *args, parents=(), with_parent=True, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in FLAGS.items():
            self.fields[name] = forms.BooleanField(label=label, required=False)
        if with_parent:
            self.fields["parent"].choices = [("", _("— Categoría nueva —")), *parents]
        else:
            del self.fields["parent"]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Archivo CSV o XLSX"),
        help_text=_(
            "Columnas: categoria, resultado, detalle, codigo, las marcas (sí/no) y "
            "reintentar_horas. Reemplaza el árbol completo."
        ),
    )


class RecordingForm(forms.Form):
    """An interaction's audio or screen recording: the file, or the provider's URL."""

    kind = forms.ChoiceField(label=_("Grabación"), choices=RecordingKind.choices)
    file = forms.FileField(label=_("Archivo"), required=False)
    url = forms.URLField(
        label=_("o URL del proveedor"), required=False, max_length=2000, assume_scheme="https"
    )


# --- beneficiary history -------------------------------------------------------------------


class HistoryForm(forms.Form):
    """The beneficiary history's search: exactly one of document, phone or e-mail (the page
    and ``GET /api/v1/lookup/``); ``key`` and ``value`` (normalized) once valid."""

    document = forms.CharField(label=_("Número de documento"), max_length=40, required=False)
    phone = forms.CharField(label=_("Teléfono"), max_length=40, required=False)
    email = forms.CharField(label=_("Correo electrónico"), max_length=254, required=False)
    page = forms.IntegerField(
        label=_("Página"), min_value=1, max_value=history.MAX_PAGE, required=False
    )

    def clean(self):
        data = super().clean()
        given = [key for key in history.KEYS if (data.get(key) or "").strip()]
        if not given and not self.errors:
            raise forms.ValidationError(
                _("Escriba el documento, el teléfono o el correo."), code="required"
            )
        if len(given) > 1:
            raise forms.ValidationError(
                _("Busque por un solo dato: documento, teléfono o correo."), code="one_key"
            )
        if given:
            key = given[0]
            try:
                data["value"] = history.normalize_key(key, data[key])
            except Invalid as exc:
                self.add_error(key, exc.message)
            data["key"] = key
        return data

    def look_up(self, actor, *, via: str, request=None) -> history.History:
        """The history this valid form asks for (audit-logged with ``via``)."""
        data = self.cleaned_data
        return history.beneficiary_history(
            actor, data["key"], data["value"], page=data["page"] or 1, via=via, request=request
        )


# --- conversations and cases ---------------------------------------------------------------


class ReplyForm(forms.Form):
    """An advisor's answer: free text (inside the 24-hour window) or an approved template."""

    text = forms.CharField(
        label=_("Respuesta"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    template = forms.TypedChoiceField(
        label=_("o una plantilla aprobada"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "—"), *((t.pk, t.wa_name) for t in templates)]


class CloseConversationForm(forms.Form):
    """Closing a conversation: its typification (a leaf) and optional observations."""

    typification = forms.TypedChoiceField(label=_("Tipificación"), coerce=int)
    observations = forms.CharField(
        label=_("Observaciones"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, leaves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["typification"].choices = [("", "—"), *leaves]


class CaseNoteForm(forms.Form):
    text = forms.CharField(label=_("Nota"), widget=forms.Textarea(attrs={"rows": 3}))


class CaseCloseForm(forms.Form):
    text = forms.CharField(
        label=_("Nota de cierre"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- workbench -----------------------------------------------------------------------------

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# Question kinds shown as a radio scale: (lowest, highest) — the rating kinds of
# ``content.choices.QuestionKind`` when that vocabulary has them.
SCALES = {"nps": (0, 10), "csat": (1, 5)}


class WorkForm(forms.Form):
    """The advisor's one form for a call: typification (a leaf of the brief's tree),
    observations, the script's answers (``answer_<key>``), an optional callback and the
    optional audio and screen recordings. The action checks the rules; the answers go to it
    as typed."""

    typification = forms.TypedChoiceField(
        label=_("Tipificación"),
        coerce=int,
        error_messages={
            "required": _("Elija la tipificación de la llamada."),
            "invalid_choice": _("Elija una tipificación de la lista."),
        },
    )
    observations = forms.CharField(
        label=_("Observaciones"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "accesskey": "o"}),
    )
    callback_at = forms.DateTimeField(
        label=_("Volver a llamar el"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
        widget=DateTimeInput(attrs={"accesskey": "r"}),
        help_text=_("Opcional: la fecha y hora que pidió la persona (hora de Colombia)."),
        error_messages={"invalid": _("Escriba una fecha y hora válidas.")},
    )
    audio = forms.FileField(label=_("Grabación de audio"), required=False)
    screen = forms.FileField(label=_("Grabación de pantalla"), required=False)

    def __init__(self, *args, leaves=(), questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["typification"].choices = [(pk, label) for pk, label in leaves]
        self.questions = list(questions)
        for q in self.questions:
            self.fields[f"answer_{q['key']}"] = self._answer_field(q)

    @staticmethod
    def _answer_field(q: dict) -> forms.Field:
        kind, label = q.get("kind") or "text", q.get("text") or q["key"]
        if kind == "yes_no":
            return forms.ChoiceField(
                label=label,
                required=False,
                choices=[("sí", _("Sí")), ("no", _("No"))],
                widget=forms.RadioSelect,
            )
        if kind == "choice":
            return forms.ChoiceField(
                label=label,
                required=False,
                choices=[(o, o) for o in q.get("options") or []],
                widget=forms.RadioSelect,
            )
        if kind in SCALES:
            low, high = SCALES[kind]
            return forms.ChoiceField(
                label=label,
                required=False,
                choices=[(str(n), str(n)) for n in range(low, high + 1)],
                widget=forms.RadioSelect(attrs={"class": "scale"}),
            )
        if kind == "number":
            return forms.CharField(
                label=label,
                required=False,
                max_length=30,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
        if kind == "date":
            return forms.CharField(label=label, required=False, widget=DateInput())
        return forms.CharField(
            label=label,
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def answer_fields(self):
        """The bound answer fields in script order."""
        return [self[f"answer_{q['key']}"] for q in self.questions]

    def answers(self) -> dict[str, str]:
        """The answers as typed, one per question key (blank ones left out)."""
        out = {}
        for q in self.questions:
            value = str(self.cleaned_data.get(f"answer_{q['key']}") or "").strip()
            if value:
                out[q["key"]] = value
        return out


# --- CRM export, bulk import, billing statement ------------------------------------------


class InteractionImportForm(forms.Form):
    """A bulk import: the interactions file, the recordings ZIP, the brief of rows without
    one."""

    file = forms.FileField(label=_("Interacciones (CSV o XLSX)"))
    recordings = forms.FileField(label=_("Grabaciones (ZIP)"), required=False)
    brief = forms.ChoiceField(label=_("Brief de las filas sin columna brief"), required=False)

    def __init__(self, *args, briefs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "Columnas: id interaccion, brief, documento o telefono, asesor, inicio, fin, "
            "tipificacion, observaciones, estado proveedor, grabacion audio, grabacion "
            "pantalla y respuesta_<clave>. Hasta %(max)s filas: se guardan todas o ninguna."
        ) % {"max": MAX_ROWS}
        self.fields["brief"].choices = [("", _("— Según la columna brief —"))] + [
            (b.code, f"{b.code} · {b.name}") for b in briefs
        ]


class LayoutForm(forms.Form):
    """A CRM export layout: one column per line, ``field | header``."""

    name = forms.CharField(label=_("Nombre"), max_length=120)
    area = forms.ModelChoiceField(
        label=_("Área"),
        queryset=Area.objects.all(),
        required=False,
        empty_label=_("— Global (todas las áreas) —"),
    )
    columns = forms.CharField(
        label=_("Columnas"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Una por línea, en orden: campo | encabezado (el encabezado es opcional)."),
    )

    def clean_columns(self) -> list[dict]:
        out = []
        for line in self.cleaned_data["columns"].splitlines():
            if not line.strip():
                continue
            field, _sep, header = line.partition("|")
            out.append({"field": field.strip(), "header": header.strip()})
        return out

    @staticmethod
    def lines(columns: list[dict]) -> str:
        return "\n".join(f"{c['field']} | {c['header']}" for c in columns)


class StatementForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Proveedor"), queryset=Provider.objects.none(), empty_label=None
    )
    month = forms.RegexField(label=_("Mes (AAAA-MM)"), regex=r"^\d{4}-(0[1-9]|1[0-2])$")

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if providers is not None:
            self.fields["provider"].queryset = providers
