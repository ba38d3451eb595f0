from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "brief.core"
    label = "core"
    verbose_name = _("Núcleo")

    def ready(self) -> None:
        from django.core import checks

        from . import crypto

        @checks.register(checks.Tags.security, deploy=True)
        def encryption_keys(app_configs, **kwargs):
            """Production keeps personal data encrypted at rest (README «Encryption at rest»)."""
            try:
                on = crypto.enabled()
            except Exception as exc:  # a malformed key: say which setting, not a traceback
                return [checks.Error(str(exc), id="brief.E010")]
            if on:
                return []
            return [
                checks.Warning(
                    "BRIEF_ENCRYPTION_KEYS is not set: bases, recordings and other stored files "
                    "are written unencrypted.",
                    hint="Generate one with `brief encryption_key` and set it in the environment.",
                    id="brief.W010",
                )
            ]
