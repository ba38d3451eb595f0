"""Users, requesting areas and the contact-center provider organisation."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from brief.core.roles import ALL_AREAS_ROLES, Role


class Area(models.Model):
    """A requesting area (Área misional / solicitante) of ICETEX."""

    code = models.SlugField(_("código"), max_length=40, unique=True)
    name = models.CharField(_("nombre"), max_length=200, unique=True)
    email = models.EmailField(_("correo del área"), blank=True)
    active = models.BooleanField(_("activa"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("área")
        verbose_name_plural = _("áreas")

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """The contact-center provider (BPO) organisation that runs campaigns."""

    code = models.SlugField(_("código"), max_length=40, unique=True)
    name = models.CharField(_("nombre"), max_length=200, unique=True)
    email = models.EmailField(_("correo de operación"), blank=True)
    active = models.BooleanField(_("activo"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("proveedor")
        verbose_name_plural = _("proveedores")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using Brief; roles are groups named after :class:`Role` codes."""

    area = models.ForeignKey(
        Area,
        verbose_name=_("área"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("proveedor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    daily_digest = models.BooleanField(
        _("resumen diario por correo"),
        default=False,
        help_text=_("Un correo al final del día con los avisos sin leer."),
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)

    # django-stubs does not declare AbstractUser.Meta, which Django defines (and documents
    # subclassing for swapped user models).
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")

    @cached_property
    def roles(self) -> frozenset[str]:
        """The role codes of this user (cached per instance)."""
        if not self.is_active:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles.intersection(roles))

    @property
    def sees_all_areas(self) -> bool:
        return self.is_superuser or bool(self.roles & ALL_AREAS_ROLES)

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in sorted(self.roles) if r in Role.values]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
