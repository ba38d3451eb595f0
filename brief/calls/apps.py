from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "brief.calls"
    label = "calls"
    verbose_name = "Centro de contacto"
