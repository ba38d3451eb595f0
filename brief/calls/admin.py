from django.contrib import admin

from .models import TypificationNode


@admin.register(TypificationNode)
class TypificationNodeAdmin(admin.ModelAdmin):
    list_display = ["brief", "level", "code", "label", "effective", "frozen_at"]
    list_filter = ["level", "effective", "right_party"]
    search_fields = ["brief__code", "code", "label"]
    readonly_fields = ["frozen_at"]
