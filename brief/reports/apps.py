from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "brief.reports"
    label = "reports"
    verbose_name = "Informes"
