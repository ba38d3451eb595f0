from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "brief.content"
    label = "content"
    verbose_name = "Contenido de mensajes"
