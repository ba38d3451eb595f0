from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "brief.contacts"
    label = "contacts"
    verbose_name = "Bases de contactos"
