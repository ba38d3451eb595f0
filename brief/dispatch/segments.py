"""Segments on the results of earlier sweeps: the one definition of "reached before".

Contacts' segment filter ``sweeps`` names :func:`earlier_sweeps_filter` by dotted path (contacts
sits below dispatch and never imports it); the engine's ``Include`` rule calls it directly.
"""

from __future__ import annotations

from django.db.models import Exists
from django.db.models.expressions import Combinable
from django.utils.translation import gettext

from brief.contacts.models import person_key_expression
from brief.core.exceptions import Invalid

from .choices import SWEEP_RESULTS
from .models import Message


def earlier_sweeps_filter(brief_id: int, result: str, *, before: int | None = None) -> Combinable:
    """A ``Contact`` filter: the person was reached (or, for ``not_…``, not reached) as
    ``result`` says by the brief's sweeps (those numbered below ``before`` when given)."""
    if result not in SWEEP_RESULTS:
        raise Invalid(
            gettext("Resultado de barridos no válido."), code="bad_filter", field="sweeps"
        )
    earlier = Message.objects.filter(
        sweep__brief_id=brief_id,
        status__in=SWEEP_RESULTS[result],
        **({"fallback": True} if result == "fallback" else {}),
        person=person_key_expression(outer=True),
    )
    if before is not None:
        earlier = earlier.filter(sweep__number__lt=before)
    reached = Exists(earlier)
    return ~reached if result.startswith("not_") else reached
