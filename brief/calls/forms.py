"""Forms of the contact-center pages (the actions check the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import FLAGS, MAX_RETRY_HOURS, RecordingKind


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
