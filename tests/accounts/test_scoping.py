"""Row scoping: area users see their area, providers their provider, staff everything."""

from brief.accounts.models import User
from brief.accounts.scoping import scope


def test_scope_area_user_sees_own_area_only(solicitante, outsider, area, other_area):
    # given users of two areas
    qs = User.objects.all()
    # when scoped by area for each requester
    mine = set(scope(qs, solicitante).values_list("username", flat=True))
    theirs = set(scope(qs, outsider).values_list("username", flat=True))
    # then neither sees the other's area
    assert mine == {"solicitante"}
    assert theirs == {"outsider"}


def test_scope_staff_sees_all_and_anonymous_nothing(analista, auditor, solicitante, outsider):
    from django.contrib.auth.models import AnonymousUser

    qs = User.objects.filter(area__isnull=False)
    assert scope(qs, analista).count() == 2
    assert scope(qs, auditor).count() == 2
    assert scope(qs, AnonymousUser()).count() == 0


def test_scope_provider_sees_only_its_provider(proveedor, asesor, solicitante, make_user):
    from brief.accounts.models import Provider
    from brief.core.roles import Role

    other = Provider.objects.create(code="otro", name="Otro BPO")
    make_user("otro_asesor", Role.ASESOR, provider=other)
    qs = User.objects.all()
    seen = set(
        scope(qs, proveedor, area_field=None, provider_field="provider").values_list(
            "username", flat=True
        )
    )
    assert seen == {"proveedor", "asesor"}
    assert scope(qs, solicitante, area_field=None, provider_field="provider").count() == 0
