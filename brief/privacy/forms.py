"""Forms of the data-subject screen: the document searched, and the filing of a request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brief.contacts.forms import DOCUMENT_RE, normalize_document

DOC_TYPES = [
    ("", _("Cualquiera")),
    ("CC", "CC"),
    ("CE", "CE"),
    ("TI", "TI"),
    ("PA", "PA"),
    ("PEP", "PEP"),
    ("PPT", "PPT"),
    ("NIT", "NIT"),
]


class SubjectForm(forms.Form):
    """The person, by document number (spaces, dots and hyphens are ignored) and optionally
    its type."""

    doc_number = forms.CharField(label=_("Número de documento"), max_length=40)
    doc_type = forms.ChoiceField(label=_("Tipo"), choices=DOC_TYPES, required=False)

    def clean_doc_number(self) -> str:
        value = normalize_document(self.cleaned_data["doc_number"])
        if not DOCUMENT_RE.match(value):
            raise forms.ValidationError(
                _("Escriba un número de documento válido (4 a 15 letras o dígitos)."),
                code="invalid_document",
            )
        return value


class RequestForm(SubjectForm):
    """A request filed by the person: the radicado, and for an erasure the confirmation."""

    reference = forms.CharField(
        label=_("Radicado de la solicitud del titular"),
        max_length=120,
        help_text=_("Número con el que ICETEX recibió la solicitud (p. ej. 2026-ER-001234)."),
    )
    confirm = forms.BooleanField(
        label=_("Confirmo que la solicitud fue verificada y que la supresión no se puede deshacer"),
        required=False,
    )

    def __init__(self, *args, erasure: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.erasure = erasure

    def clean_reference(self) -> str:
        value = self.cleaned_data["reference"].strip()
        if not value:
            raise forms.ValidationError(_("Escriba el radicado de la solicitud."), code="required")
        return value

    def clean(self):
        data = super().clean()
        if self.erasure and not data.get("confirm"):
            self.add_error(
                "confirm",
                forms.ValidationError(
                    _("Marque la confirmación para suprimir los datos."), code="not_confirmed"
                ),
            )
        return data
