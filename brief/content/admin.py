from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from brief.core.exceptions import DomainError

from . import actions
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

    def get_actions(self, request):
        # No bulk delete: each creative is deleted through the action, which checks retention.
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found

    def delete_view(self, request, object_id, extra_context=None):
        """Refuse before the confirmation page while the creative is under retention."""
        creative = self.get_object(request, object_id)
        if creative is not None:
            refusal = actions.deletion_refusal(creative)
            if refusal is not None:
                self.message_user(request, refusal.message, messages.ERROR)
                return HttpResponseRedirect(
                    reverse("admin:content_creative_change", args=[creative.pk])
                )
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        try:
            actions.delete_creative(obj, actor=request.user, request=request)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


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
