"""Filter sets of the dispatch lists, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy

from brief.campaigns.choices import Channel

from .models import InboundMessage


class InboundFilter(django_filters.FilterSet):
    """A brief's replies by channel and by opt-out (``/briefs/<code>/respuestas/`` and
    ``/api/v1/briefs/{code}/inbound/``)."""

    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Canal"), choices=Channel.choices, empty_label=gettext_lazy("Todos")
    )
    opt_out = django_filters.BooleanFilter(label=gettext_lazy("Pidió no recibir más"))

    class Meta:
        model = InboundMessage
        fields = ["channel", "opt_out"]
