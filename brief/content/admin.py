from django.contrib import admin

from .models import Creative, LinkOpen, Template, TrackedLink


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    """Read-only: templates change through the editor (actions), which audits them."""

    list_display = ["id", "brief", "channel", "name", "version", "frozen_at"]
    list_filter = ["channel"]
    search_fields = ["brief__code", "name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Creative)
class CreativeAdmin(admin.ModelAdmin):
    list_display = ["name", "brief", "channel", "version", "sha256", "frozen_at", "retention_until"]
    search_fields = ["name", "brief__code", "sha256"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrackedLink)
class TrackedLinkAdmin(admin.ModelAdmin):
    list_display = ["id", "brief", "template", "url"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LinkOpen)
class LinkOpenAdmin(admin.ModelAdmin):
    list_display = ["link", "message_id", "at", "ip"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
