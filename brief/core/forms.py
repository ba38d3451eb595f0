"""Form helpers shared by every app's views, and the core's own forms."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .audit_labels import AUDIT_LABELS
from .exceptions import DomainError


def add_domain_errors(
    form: forms.BaseForm,
    exc: DomainError,
    *,
    rename: Mapping[str | None, str | None] | None = None,
    fields: Collection[str] | None = None,
    fields_only: bool = False,
) -> None:
    """Put an action's refusal on ``form``: each error on its field when the form has that
    field, else on the form as a whole.

    ``rename`` maps the action's field names to the form's (``None`` is the error without a
    field); ``fields`` limits which form fields take errors; with ``fields_only`` the errors
    that fit no field are dropped (for pages that already show them as messages).
    """
    rename = rename or {}
    for error in exc.errors:
        field = error.get("field")
        field = rename.get(field, field)
        message = error.get("message") or exc.message
        if field in form.fields and (fields is None or field in fields):
            form.add_error(field, message)
        elif not fields_only:
            form.add_error(None, message)


ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """The browser's date picker: ``<input type="date">`` with its value in ISO
    ``YYYY-MM-DD`` (the only format the picker shows; a localized value would be blank)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker: ``<input type="datetime-local">``, ISO value."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATETIME)


def invalid_date(label):
    """The Spanish error of a date that does not parse, naming its field."""
    return format_lazy(_("«{label}» no es una fecha válida (AAAA-MM-DD)."), label=label)


def date_field(label, invalid=None, *, required: bool = False, **kwargs) -> forms.DateField:
    """A date typed in a date picker (ISO ``YYYY-MM-DD``, as the browser sends); a value
    that does not parse is an error in Spanish, never dropped."""
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=[ISO_DATE],
        error_messages={"invalid": invalid or invalid_date(label)},
        **kwargs,
    )


class AuditFilterForm(forms.Form):
    """The audit log's filters: words, one event, a range of local dates (date pickers).

    A date that does not parse, or a «desde» after the «hasta», is an error shown on the
    form; the log is then not listed (never a filter silently dropped).
    """

    q = forms.CharField(
        label=_("Buscar"),
        required=False,
        max_length=200,
        help_text=_("Palabras del evento, el usuario, el objeto o los detalles."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    tipo = forms.ChoiceField(label=_("Evento"), required=False)
    desde = date_field(_("Desde"), _("«Desde» no es una fecha válida (AAAA-MM-DD)."))
    hasta = date_field(_("Hasta"), _("«Hasta» no es una fecha válida (AAAA-MM-DD)."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = sorted(((str(label), code) for code, label in AUDIT_LABELS.items()))
        self.fields["tipo"].choices = [("", _("Todos")), *((c, t) for t, c in labels)]
        self.fields["tipo"].error_messages["invalid_choice"] = _("Ese evento no existe.")

    def clean(self):
        data = super().clean()
        since, until = data.get("desde"), data.get("hasta")
        if since and until and since > until:
            self.add_error("hasta", _("«Hasta» debe ser igual o posterior a «Desde»."))
        return data

    def filters(self) -> dict[str, str]:
        """The filters in use, as text (for links, the export and its audit record)."""
        return {
            name: value.isoformat() if hasattr(value, "isoformat") else str(value)
            for name, value in self.cleaned_data.items()
            if value
        }
