from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "brief.dispatch"
    label = "dispatch"
    verbose_name = "Envíos"
