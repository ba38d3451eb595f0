from django.contrib import admin

from .models import AuditEvent, SLAClock, SLARule


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


@admin.register(SLAClock)
class SLAClockAdmin(admin.ModelAdmin):
    list_display = [
        "rule",
        "subject_type",
        "subject_id",
        "state",
        "started_at",
        "due_at",
        "stopped_at",
        "breached_at",
    ]
    list_filter = ["state", "rule"]

    def has_add_permission(self, request):
        return False


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
