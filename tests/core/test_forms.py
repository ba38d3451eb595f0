"""add_domain_errors: an action's refusal lands on the form's fields, the rest on the form."""

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
