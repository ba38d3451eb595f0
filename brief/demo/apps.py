from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "brief.demo"
    label = "demo"
    verbose_name = "Datos de demostración"
