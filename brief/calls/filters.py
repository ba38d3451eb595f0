"""Filter sets of the contact-center lists, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy

from brief.campaigns.choices import Channel

from .models import Interaction


class InteractionFilter(django_filters.FilterSet):
    """Interactions by campaign, channel, advisor, typification, date and billing
    (``GET /api/v1/interactions/`` and a brief's interactions page)."""

    brief = django_filters.CharFilter(field_name="brief__code", label=gettext_lazy("Brief"))
    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Canal"), choices=Channel.choices, empty_label=gettext_lazy("Todos")
    )
    advisor = django_filters.CharFilter(
        field_name="advisor__username", label=gettext_lazy("Asesor")
    )
    typification = django_filters.CharFilter(
        method="by_typification", label=gettext_lazy("Tipificación (código o id)")
    )
    start = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__gte", label=gettext_lazy("Desde")
    )
    end = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__lte", label=gettext_lazy("Hasta")
    )
    billable = django_filters.BooleanFilter(label=gettext_lazy("Facturable"))

    class Meta:
        model = Interaction
        fields = ["brief", "channel", "advisor", "typification", "billable"]

    def by_typification(self, queryset, name, value):
        if value.isdigit():
            return queryset.filter(typification_id=int(value))
        return queryset.filter(typification__code=value)

    def __init__(self, data=None, *args, **kwargs):
        # DESIGN §6 names the date filters ``from`` and ``to`` (Python keywords here).
        if data is not None:
            data = data.copy()
            for given, field in (("from", "start"), ("to", "end")):
                if given in data and field not in data:
                    data[field] = data[given]
        super().__init__(data, *args, **kwargs)
