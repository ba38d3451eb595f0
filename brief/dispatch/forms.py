"""The new-sweep form: it only shapes input for :func:`brief.dispatch.actions.create_sweep`."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from brief.campaigns.choices import Channel, channel_label
from brief.contacts.models import ContactBase, Segment
from brief.core.calendar import BOGOTA

from . import engine
from .choices import QUEUE_CHANNELS, Include
from .models import ProviderAccount

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# A start this far in the past is refused; a nearer one (the form's default, "now", filled when
# the page was opened) starts the sweep at once.
PAST_SLACK = dt.timedelta(minutes=15)


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {channel_label(obj.channel)}"


class SweepForm(forms.Form):
    """Channel, template, account, segment, include rule, start and contact-rule exceptions.

    The choices come from the brief: its channels, its templates (of the chosen channel when
    one is chosen), the active provider accounts that send by that channel, and the segments
    of its ready base. A bound form accepts any of the brief's templates so that a template of
    another channel gets a precise error instead of Django's generic one.
    """

    channel = forms.ChoiceField(label=_("Canal"))
    template = TemplateChoiceField(
        label=_("Plantilla"), queryset=None, empty_label=_("— Escoja la plantilla —")
    )
    provider_account = forms.ChoiceField(label=_("Cuenta de proveedor"), required=False)
    segment = forms.ModelChoiceField(
        label=_("Segmento"),
        queryset=Segment.objects.none(),
        required=False,
        empty_label=_("Toda la base"),
        help_text=_("Vacío: todos los registros depurados de la base."),
    )
    include = forms.ChoiceField(
        label=_("Destinatarios"), choices=Include.choices, initial=Include.ALL
    )
    start_at = forms.DateTimeField(
        label=_("Inicio"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_(
            "Hora de Colombia (America/Bogota). Por omisión, ahora: empieza en cuanto se crea."
        ),
        error_messages={
            "required": _("Indique la fecha y hora de inicio."),
            "invalid": _("Escriba una fecha y hora válidas."),
        },
    )
    ignore_windows = forms.BooleanField(
        label=_("Ignorar franjas horarias"),
        required=False,
        help_text=_("Enviar también fuera de los horarios permitidos (Ley 2300 de 2023)."),
    )
    ignore_daily_cap = forms.BooleanField(
        label=_("Ignorar tope diario"),
        required=False,
        help_text=_("Permitir más de un contacto por persona en el mismo día."),
    )
    exception_reason = forms.CharField(
        label=_("Motivo de la excepción"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatorio si marca alguna excepción; queda en la auditoría."),
    )

    def __init__(self, *args, brief, **kwargs):
        super().__init__(*args, **kwargs)
        self.brief = brief
        channels = [c for c in (brief.channels or []) if c in Channel.values]
        self.fields["channel"].choices = [("", _("— Escoja el canal —"))] + [
            (c, channel_label(c)) for c in channels
        ]
        chosen = self._chosen_channel(channels)
        # A call sweep fills the advisors' queue: nothing is sent, no account is asked for.
        self.needs_account = chosen not in QUEUE_CHANNELS
        templates = brief.templates.order_by("channel", "name", "id")
        if not self.is_bound and chosen:
            templates = templates.filter(channel=chosen)
        self.fields["template"].queryset = templates
        accounts = [
            a
            for a in ProviderAccount.objects.filter(active=True)
            if (chosen and chosen in (a.channels or []))
            or (not chosen and set(a.channels or []) & set(channels))
            or self.is_bound
        ]
        self.fields["provider_account"].choices = [("", _("— Escoja la cuenta —"))] + [
            (a.code, f"{a.name} ({a.code})") for a in accounts
        ]
        self.accounts = {a.code: a for a in accounts}
        base = ContactBase.objects.current(brief)
        self.base = base
        if base is not None:
            self.fields["segment"].queryset = Segment.objects.filter(base=base)
        if not self.is_bound and "start_at" not in self.initial:
            self.initial["start_at"] = timezone.localtime(engine.clock(), BOGOTA).replace(
                second=0, microsecond=0
            )

    def clean_start_at(self):
        start = self.cleaned_data.get("start_at")
        if start is not None and start < engine.clock() - PAST_SLACK:
            local = timezone.localtime(start, BOGOTA)
            raise forms.ValidationError(
                _(
                    "La fecha de inicio (%(when)s) ya pasó. Escoja una fecha y hora futuras, o "
                    "la hora actual para empezar ya."
                ),
                code="past",
                params={"when": formats.date_format(local, "d/m/Y H:i")},
            )
        return start

    def _chosen_channel(self, channels: list[str]) -> str:
        value = self.data.get("channel") if self.is_bound else self.initial.get("channel")
        if not value and len(channels) == 1:
            self.initial.setdefault("channel", channels[0])
            return channels[0]
        return value if value in channels else ""

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        template = data.get("template")
        if channel and template is not None and template.channel != channel:
            self.add_error(
                "template",
                _("La plantilla «%(name)s» es de %(other)s, no de %(channel)s.")
                % {
                    "name": template.name,
                    "other": channel_label(template.channel),
                    "channel": channel_label(channel),
                },
            )
        code = data.get("provider_account")
        if channel in QUEUE_CHANNELS:
            data["provider_account"] = code = ""
        elif not code:
            field = self.fields["provider_account"]
            self.add_error("provider_account", field.error_messages["required"])
        account = self.accounts.get(code) if code else None
        if channel and account is not None and channel not in (account.channels or []):
            self.add_error(
                "provider_account",
                _("La cuenta «%(name)s» no envía por %(channel)s.")
                % {"name": account.name, "channel": channel_label(channel)},
            )
        exception = data.get("ignore_windows") or data.get("ignore_daily_cap")
        if exception and not (data.get("exception_reason") or "").strip():
            self.add_error(
                "exception_reason",
                _("Una excepción a las reglas de contacto necesita un motivo."),
            )
        return data

    def start_at_or_now(self):
        """``None`` (start now) when the chosen moment is not in the future."""
        start = self.cleaned_data.get("start_at")
        return start if start and start > engine.clock() else None

    def forecast_args(self) -> dict | None:
        """The arguments of :func:`brief.dispatch.forecast.forecast` for what the form holds so
        far (after ``is_valid()``; invalid fields fall back to their defaults), or ``None``
        while the channel or the base is missing or the channel is worked by advisors."""
        data = getattr(self, "cleaned_data", {})
        channel = data.get("channel")
        segment = data.get("segment")
        base = segment.base if segment is not None else self.base
        if not channel or channel in QUEUE_CHANNELS or base is None:
            return None
        return {
            "channel": channel,
            "base": base,
            "segment": segment,
            "include": data.get("include") or Include.ALL,
            "start": self.start_at_or_now(),
            "ignore_windows": bool(data.get("ignore_windows")),
            "ignore_daily_cap": bool(data.get("ignore_daily_cap")),
            "account": self.accounts.get(data.get("provider_account") or ""),
        }
