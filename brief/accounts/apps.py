from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "brief.accounts"
    label = "accounts"
    verbose_name = "Cuentas"
