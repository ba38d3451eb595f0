"""Filter sets of the contact-center lists, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from brief.campaigns.choices import Channel
from brief.core.forms import DateInput, invalid_date

from .choices import CaseStatus, ConversationStatus
from .models import Case, Conversation, Interaction


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
        field_name="started_at",
        lookup_expr="date__gte",
        label=gettext_lazy("Desde"),
        widget=DateInput(),
        error_messages={"invalid": invalid_date(gettext_lazy("Desde"))},
    )
    end = django_filters.DateFilter(
        field_name="started_at",
        lookup_expr="date__lte",
        label=gettext_lazy("Hasta"),
        widget=DateInput(),
        error_messages={"invalid": invalid_date(gettext_lazy("Hasta"))},
    )
    billable = django_filters.BooleanFilter(label=gettext_lazy("Facturable"))
    typified = django_filters.BooleanFilter(
        field_name="typification", lookup_expr="isnull", exclude=True,
        label=gettext_lazy("Tipificada"),
    )  # fmt: skip

    class Meta:
        model = Interaction
        fields = ["brief", "channel", "advisor", "typification", "billable", "typified"]

    def by_typification(self, queryset, name, value):
        """A node by code or id: its leaf, or every leaf under a category or a result."""
        key = "pk" if value.isdigit() else "code"
        value = int(value) if value.isdigit() else value
        return queryset.filter(
            Q(**{f"typification__{key}": value})
            | Q(**{f"typification__parent__{key}": value})
            | Q(**{f"typification__parent__parent__{key}": value})
        )

    def __init__(self, data=None, *args, **kwargs):
        # DESIGN §6 names the date filters ``from`` and ``to`` (Python keywords here).
        if data is not None:
            data = data.copy()
            # ``campaign`` is the CRM export's name for the brief.
            for given, field in (("from", "start"), ("to", "end"), ("campaign", "brief")):
                if given in data and field not in data:
                    data[field] = data[given]
        super().__init__(data, *args, **kwargs)


# --- conversations and cases ---------------------------------------------------------------


class ConversationFilter(django_filters.FilterSet):
    """Conversations by campaign and state (the inbox and ``GET /api/v1/conversations/``)."""

    brief = django_filters.CharFilter(field_name="brief__code", label=gettext_lazy("Brief"))
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Estado"),
        choices=ConversationStatus.choices,
        empty_label=gettext_lazy("Todas"),
    )

    class Meta:
        model = Conversation
        fields = ["brief", "status"]


class CaseFilter(django_filters.FilterSet):
    """Cases by campaign, state and whether they are overdue (open past their due time, or
    closed late): the cases page and ``GET /api/v1/cases/``."""

    brief = django_filters.CharFilter(field_name="brief__code", label=gettext_lazy("Brief"))
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Estado"), choices=CaseStatus.choices, empty_label=gettext_lazy("Todos")
    )
    overdue = django_filters.BooleanFilter(method="by_overdue", label=gettext_lazy("Vencidos"))

    class Meta:
        model = Case
        fields = ["brief", "status", "overdue"]

    def by_overdue(self, queryset, name, value):
        late = Q(closed_at__isnull=True, due_at__lt=timezone.now()) | Q(closed_at__gt=F("due_at"))
        return queryset.filter(late) if value else queryset.exclude(late)
