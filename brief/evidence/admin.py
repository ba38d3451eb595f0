from django.contrib import admin

from .models import Certificate, PurgedFile


class ReadOnly(admin.ModelAdmin):
    """Evidence is written by actions only (signed, audited): the admin reads it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Certificate)
class CertificateAdmin(ReadOnly):
    list_display = ["code", "scope", "brief", "message_id", "issued_at", "issued_by", "sha256"]
    list_filter = ["scope"]
    search_fields = ["code", "brief__code", "sha256"]


@admin.register(PurgedFile)
class PurgedFileAdmin(ReadOnly):
    """Tombstones of the files the retention purge removed."""

    list_display = ["kind", "path", "brief_code", "retain_until", "purged_at", "sha256"]
    list_filter = ["kind"]
    search_fields = ["path", "brief_code", "sha256"]
