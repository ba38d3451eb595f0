from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "brief.evidence"
    label = "evidence"
    verbose_name = "Evidencias"
