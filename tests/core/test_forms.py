"""add_domain_errors: an action's refusal lands on the form's fields, the rest on the form."""

import datetime as dt

from django import forms

from brief.core.exceptions import Invalid
from brief.core.forms import add_domain_errors


class _Form(forms.Form):
    name = forms.CharField(required=False)
    script = forms.CharField(required=False)


def _refusal() -> Invalid:
    return Invalid(
        "No se puede.",
        errors=[
            {"code": "a", "message": "Falta el nombre.", "field": "name"},
            {"code": "b", "message": "Guion inválido.", "field": "script_sections"},
            {"code": "c", "message": "Otra cosa.", "field": None},
        ],
    )


def test_errors_go_to_their_field_or_the_form():
    form = _Form({})
    assert form.is_valid()
    add_domain_errors(form, _refusal())
    assert form.errors["name"] == ["Falta el nombre."]
    assert form.non_field_errors() == ["Guion inválido.", "Otra cosa."]


def test_rename_fields_and_fields_only():
    form = _Form({})
    assert form.is_valid()
    add_domain_errors(form, _refusal(), rename={"script_sections": "script"}, fields_only=True)
    assert form.errors == {"name": ["Falta el nombre."], "script": ["Guion inválido."]}


def test_fields_limits_which_fields_take_errors():
    form = _Form({})
    assert form.is_valid()
    add_domain_errors(form, _refusal(), fields={"script"})
    assert "name" not in form.errors
    assert form.non_field_errors() == ["Falta el nombre.", "Guion inválido.", "Otra cosa."]


# --- date pickers --------------------------------------------------------------------------

FORM_MODULES = [
    "brief.calls.forms",
    "brief.campaigns.forms",
    "brief.contacts.forms",
    "brief.content.forms",
    "brief.core.forms",
    "brief.dispatch.forms",
    "brief.privacy.forms",
    "brief.reports.forms",
]
FILTER_MODULES = [
    "brief.calls.filters",
    "brief.campaigns.filters",
    "brief.contacts.filters",
    "brief.dispatch.filters",
]


def _date_fields():
    """Every date and date-time field of the forms and filter sets, with where it is."""
    import importlib

    import django_filters

    for path in FORM_MODULES + FILTER_MODULES:
        module = importlib.import_module(path)
        for name, obj in vars(module).items():
            if not isinstance(obj, type) or obj.__module__ != path:
                continue
            if issubclass(obj, forms.BaseForm):
                fields = obj.base_fields.items()
            elif issubclass(obj, django_filters.FilterSet):
                fields = ((k, f.field) for k, f in obj.base_filters.items())
            else:
                continue
            for field_name, field in fields:
                if isinstance(field, forms.DateField | forms.DateTimeField):
                    yield f"{path}.{name}.{field_name}", field


def test_every_date_field_is_a_date_picker():
    seen = dict(_date_fields())
    # the F559 dates, the filters and the SLA period are among them
    assert {
        "brief.campaigns.forms.BriefForm.start_date",
        "brief.campaigns.filters.BriefFilter.desde",
        "brief.reports.forms.SLAPeriodForm.hasta",
        "brief.calls.filters.InteractionFilter.start",
        "brief.calls.forms.WorkForm.callback_at",
    } <= set(seen)
    for where, field in seen.items():
        expected = "datetime-local" if isinstance(field, forms.DateTimeField) else "date"
        assert f'type="{expected}"' in field.widget.render("x", None), where


def test_date_picker_renders_iso_values_and_a_spanish_error():
    from brief.core.forms import date_field

    class _Dates(forms.Form):
        day = date_field("Día")

    # a date renders in ISO (the only format the browser's picker shows)
    html = str(_Dates(initial={"day": dt.date(2026, 12, 2)})["day"])
    assert 'type="date"' in html
    assert 'value="2026-12-02"' in html
    # a date that does not exist is an error in Spanish naming the field, not a silent blank
    form = _Dates({"day": "2026-02-31"})
    assert not form.is_valid()
    assert form.errors["day"] == ["«Día» no es una fecha válida (AAAA-MM-DD)."]


def test_datetime_picker_renders_datetime_local():
    from brief.calls.forms import WorkForm

    form = WorkForm(initial={"callback_at": dt.datetime(2026, 12, 2, 9, 30)})
    html = str(form["callback_at"])
    assert 'type="datetime-local"' in html
    assert 'value="2026-12-02T09:30"' in html
