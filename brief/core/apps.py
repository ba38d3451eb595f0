from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "brief.core"
    label = "core"
    verbose_name = "Núcleo"
