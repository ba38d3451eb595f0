from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import sla
from .models import AuditEvent, SLAClock, SLARule

# Brief's name on every admin page, in Spanish.
admin.site.site_header = _("Brief · Administración")
admin.site.site_title = _("Brief")
admin.site.index_title = _("Administración de Brief")


@admin.register(SLARule)
class SLARuleAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "start_event",
        "stop_event",
        "duration",
        "unit",
        "responsible",
        "kind",
        "active",
    ]
    list_filter = ["active", "responsible", "unit"]


class SLAClockForm(forms.ModelForm):
    """Only the breach reason is written here, and only on a late or breached clock."""

    class Meta:
        model = SLAClock
        fields = ["breach_reason"]

    def clean_breach_reason(self):
        reason = self.cleaned_data["breach_reason"].strip()
        if reason and not self.instance.missed:
            raise forms.ValidationError(_("El ANS no está incumplido: no lleva motivo."))
        return reason


@admin.register(SLAClock)
class SLAClockAdmin(admin.ModelAdmin):
    form = SLAClockForm
    list_display = [
        "rule",
        "subject_type",
        "subject_id",
        "state",
        "started_at",
        "due_at",
        "stopped_at",
        "breached_at",
        "breach_reason",
    ]
    list_filter = ["state", "rule"]
    readonly_fields = [
        "rule",
        "subject_type",
        "subject_id",
        "state",
        "responsible",
        "started_at",
        "due_at",
        "paused_at",
        "stopped_at",
        "stopped_by",
        "breached_at",
        "breach_reason_by",
        "breach_reason_at",
    ]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        """Through the action (who and when, audit event), never a bare save."""
        if "breach_reason" in form.changed_data and obj.breach_reason:
            sla.explain_breach(obj, actor=request.user, reason=obj.breach_reason, request=request)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "type", "target_repr", "ip"]
    list_filter = ["type"]
    search_fields = ["actor_label", "target_repr", "type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
