from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "brief.campaigns"
    label = "campaigns"
    verbose_name = "Campañas"
