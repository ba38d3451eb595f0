"""Filter sets of the contacts lists, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy

from .choices import SuppressionChannel, SuppressionSource
from .models import Suppression


class SuppressionFilter(django_filters.FilterSet):
    """The suppression list by channel, source and part of the value (``/exclusiones/`` and
    ``/api/v1/suppressions/``)."""

    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Canal"),
        choices=SuppressionChannel.choices,
        empty_label=gettext_lazy("Todos"),
    )
    source = django_filters.ChoiceFilter(
        label=gettext_lazy("Origen"),
        choices=SuppressionSource.choices,
        empty_label=gettext_lazy("Todos"),
    )
    q = django_filters.CharFilter(
        label=gettext_lazy("Valor contiene"),
        field_name="value",
        lookup_expr="icontains",
        max_length=254,
    )

    class Meta:
        model = Suppression
        fields = ["channel", "source", "q"]
