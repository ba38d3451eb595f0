from django import forms
from django.contrib import admin
from django.utils.translation import gettext

from .models import ProviderAccount, Sweep
from .providers.options import mask_options, merge_options, option_errors


class ProviderAccountForm(forms.ModelForm):
    """Secrets are shown masked; a masked value sent back keeps the stored secret."""

    class Meta:
        model = ProviderAccount
        fields = [
            "code",
            "name",
            "kind",
            "channels",
            "options",
            "rate_per_second",
            "concurrency",
            "chunk_size",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = True
        if self.instance.pk:
            self.initial["options"] = mask_options(self.instance.options or {})

    def clean_options(self):
        given = self.cleaned_data.get("options") or {}
        if not isinstance(given, dict):
            raise forms.ValidationError(gettext("Las opciones deben ser un objeto JSON."))
        stored = self.instance.options if self.instance.pk else {}
        options = merge_options(stored or {}, given, partial=False)
        errors = option_errors(self.data.get("kind") or self.instance.kind, options)
        if errors:
            raise forms.ValidationError(errors)
        return options


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    form = ProviderAccountForm
    list_display = ["code", "name", "kind", "rate_per_second", "concurrency", "active"]
    readonly_fields = ["backend"]


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = ["brief", "number", "channel", "state", "total", "start_at", "finished_at"]
    list_filter = ["state", "channel"]
    raw_id_fields = ["brief", "template", "base", "segment"]
