from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Area, Provider, User


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "email", "active"]
    search_fields = ["name", "code"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "email", "active"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "area", "provider", "is_active"]
    list_filter = ["groups", "area", "provider", "is_active"]
    assert BaseUserAdmin.fieldsets is not None  # Django's UserAdmin always declares them
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Organización"), {"fields": ("area", "provider")}),
    )
