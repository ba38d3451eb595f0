"""Forms of the reports pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brief.accounts.models import Area, User
from brief.campaigns.models import Brief
from brief.core.forms import date_field

# --- monthly reports, QC sample ---
from .choices import CHECKLIST, Answer, RecommendationStatus
from .sla_report import VERDICT_FILTERS


def month_field() -> forms.RegexField:
    """A ``YYYY-MM`` month (the browser's month picker)."""
    return forms.RegexField(
        label=_("Mes"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
        error_messages={"invalid": _("El mes va como AAAA-MM.")},
    )


def area_filter_field(queryset) -> forms.ModelChoiceField:
    """An optional area, by its code (all areas when empty)."""
    return forms.ModelChoiceField(
        label=_("Área"),
        queryset=queryset,
        required=False,
        to_field_name="code",
        empty_label=_("Todas las áreas"),
        error_messages={"invalid_choice": _("Esa área no existe.")},
    )


class MonthlyFilterForm(forms.Form):
    mes = month_field()
    area = area_filter_field(Area.objects.none())

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas if areas is not None else Area.objects.all()


class RecommendationForm(forms.Form):
    text = forms.CharField(label=_("Recomendación"), widget=forms.Textarea(attrs={"rows": 3}))
    area = forms.ModelChoiceField(
        label=_("Área"), queryset=Area.objects.all(), to_field_name="code"
    )
    brief = forms.ModelChoiceField(
        label=_("Brief (opcional)"),
        queryset=Brief.objects.none(),
        required=False,
        to_field_name="code",
    )
    owner = forms.ModelChoiceField(
        label=_("Responsable"),
        queryset=User.objects.filter(is_active=True),
        to_field_name="username",
    )
    due_date = date_field(_("Fecha compromiso"), required=True)

    def __init__(self, *args, briefs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if briefs is not None:
            self.fields["brief"].queryset = briefs


class RecommendationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Estado"), choices=RecommendationStatus.choices)
    note = forms.CharField(
        label=_("Nota (obligatoria para cerrar)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DrawSampleForm(forms.Form):
    mes = month_field()


class ChecklistForm(forms.Form):
    """One sampled item's checklist: an answer and a comment per ``CHECKLIST`` key."""

    finding = forms.CharField(
        label=_("Hallazgo"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in CHECKLIST.items():
            self.fields[f"{key}"] = forms.ChoiceField(
                label=label, choices=[("", "—"), *Answer.choices], required=False
            )
            self.fields[f"{key}_comment"] = forms.CharField(
                label=_("Comentario"), required=False, max_length=1000
            )

    def checklist(self) -> dict:
        return {
            key: {"value": self.cleaned_data[key], "comment": self.cleaned_data[f"{key}_comment"]}
            for key in CHECKLIST
        }


# --- fortnightly SLA report ---

# The longest period the SLA report page builds at once.
SLA_REPORT_MAX_DAYS = 366


class SLAPeriodForm(forms.Form):
    """The period of the SLA report (``?desde=&hasta=``; a fortnight by default)."""

    desde = date_field(_("Desde"), required=True)
    hasta = date_field(_("Hasta"), required=True)
    area = area_filter_field(Area.objects.all())
    resultado = forms.ChoiceField(
        label=_("Resultado"),
        required=False,
        error_messages={"invalid_choice": _("Ese resultado no existe.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resultado"].choices = [("", _("Todos")), *VERDICT_FILTERS.items()]

    def clean(self):
        data = super().clean()
        start, end = data.get("desde"), data.get("hasta")
        if start and end and end < start:
            raise forms.ValidationError(_("La fecha «hasta» es anterior a «desde»."))
        if start and end and (end - start).days >= SLA_REPORT_MAX_DAYS:
            raise forms.ValidationError(
                _("El periodo no puede pasar de %(n)s días.") % {"n": SLA_REPORT_MAX_DAYS}
            )
        return data


class BreachReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo del incumplimiento"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Escriba el motivo del incumplimiento.")},
    )
