"""FilterSets shared by the brief pages and the API (HOUSE_STYLE §1)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brief.accounts.models import Area

from .choices import CampaignClass, Channel, Kind, Status
from .forms import DATE_ATTRS
from .models import Brief


class BriefFilter(django_filters.FilterSet):
    """Filters shared by the brief list, the OCM board and ``GET /api/v1/briefs/``."""

    q = django_filters.CharFilter(label=_("Buscar"), method="filter_text")
    status = django_filters.ChoiceFilter(
        label=_("Estado"), choices=Status.choices, empty_label=_("Todos")
    )
    area = django_filters.ModelChoiceFilter(
        label=_("Área"), queryset=Area.objects.all(), empty_label=_("Todas")
    )
    channel = django_filters.ChoiceFilter(
        label=_("Canal"), choices=Channel.choices, method="filter_channel", empty_label=_("Todos")
    )
    campaign_class = django_filters.ChoiceFilter(
        label=_("Clase"), choices=CampaignClass.choices, empty_label=_("Todas")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Tipo"), choices=Kind.choices, empty_label=_("Todos")
    )
    desde = django_filters.DateFilter(
        label=_("Inicio desde"),
        field_name="start_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs=DATE_ATTRS),
    )
    hasta = django_filters.DateFilter(
        label=_("Inicio hasta"),
        field_name="start_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs=DATE_ATTRS),
    )

    class Meta:
        model = Brief
        fields: list[str] = []

    def __init__(self, *args: Any, show_area: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not show_area:
            del self.filters["area"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))

    def filter_channel(self, queryset, name, value):
        # JSON list stored as text on SQLite and jsonb on PostgreSQL: match the quoted value.
        return queryset.filter(channels__icontains=f'"{value}"') if value else queryset
