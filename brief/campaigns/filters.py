"""FilterSets shared by the brief pages and the API (HOUSE_STYLE §1)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brief.accounts.models import Area
from brief.core.forms import ISO_DATE, DateInput, invalid_date
from brief.core.models import SLAClock

from .choices import CampaignClass, Channel, Kind, Status
from .models import Brief


def open_clocks() -> QuerySet[SLAClock]:
    """The open SLA clocks of the brief of the outer query (for ``Exists``/``Subquery``)."""
    return SLAClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(Brief),
        subject_id=OuterRef("pk"),
        stopped_at__isnull=True,
    )


def overdue_clock(now) -> Exists:
    """True when one of the brief's open clocks is past due at ``now`` or marked breached."""
    return Exists(open_clocks().filter(Q(breached_at__isnull=False) | Q(due_at__lt=now)))


def start_date_filter(label, lookup: str) -> django_filters.DateFilter:
    """A bound of the start date, typed in a date picker; a bad date is a Spanish error."""
    return django_filters.DateFilter(
        label=label,
        field_name="start_date",
        lookup_expr=lookup,
        widget=DateInput(),
        input_formats=[ISO_DATE],
        error_messages={"invalid": invalid_date(label)},
    )


class BriefFilterForm(forms.Form):
    """The filter form: a «hasta» before the «desde» is an error, not an empty list."""

    def clean(self):
        data = super().clean()
        since, until = data.get("desde"), data.get("hasta")
        if since and until and since > until:
            self.add_error(
                "hasta", _("«Inicio hasta» debe ser igual o posterior a «Inicio desde».")
            )
        return data


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
    desde = start_date_filter(_("Inicio desde"), "gte")
    hasta = start_date_filter(_("Inicio hasta"), "lte")
    vencidos = django_filters.BooleanFilter(
        label=_("Solo con ANS vencido"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Brief
        fields: list[str] = []
        form = BriefFilterForm

    def __init__(self, *args: Any, show_area: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not show_area:
            del self.filters["area"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_clock(timezone.now())) if value else queryset

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))

    def filter_channel(self, queryset, name, value):
        # JSON list stored as text on SQLite and jsonb on PostgreSQL: match the quoted value.
        return queryset.filter(channels__icontains=f'"{value}"') if value else queryset
