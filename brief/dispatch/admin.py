from django.contrib import admin

from .models import ProviderAccount, Sweep


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "backend", "rate_per_second", "concurrency", "active"]


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = ["brief", "number", "channel", "state", "total", "start_at", "finished_at"]
    list_filter = ["state", "channel"]
    raw_id_fields = ["brief", "template", "base", "segment"]
