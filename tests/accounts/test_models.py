"""The user model: roles come from groups, an inactive user has none."""

from brief.accounts.models import User


def test_inactive_user_has_no_roles(solicitante):
    solicitante.is_active = False
    solicitante.save()
    user = User.objects.get(pk=solicitante.pk)
    assert user.roles == frozenset()
    assert not user.has_role("solicitante")
