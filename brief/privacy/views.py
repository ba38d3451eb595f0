"""The «Datos personales» screens: find a person, export their data, erase it, the requests."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from brief.core.roles import DATA_PROTECTION_ROLES

from . import subject as subjects
from .forms import RequestForm, SubjectForm
from .models import SubjectRequest


def require_data_protection(user) -> None:
    """Only OCM's analysts and the process leader handle data-subject requests."""
    if not user.has_role(*DATA_PROTECTION_ROLES):
        raise PermissionDenied(
            _("Solo OCM y el líder de proceso atienden solicitudes de titulares de datos.")
        )


def export_response(subject: subjects.Subject, handled: SubjectRequest) -> HttpResponse:
    """The export as a JSON download (``never_cache`` on the view: never stored)."""
    body = json.dumps(
        {"solicitud": handled.code, **subjects.export(subject)}, ensure_ascii=False, indent=2
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{handled.code}.json"'
    return response


@never_cache
@login_required
@require_GET
def search(request):
    """Search a person by document; shows every item found and what erasure would do."""
    require_data_protection(request.user)
    form = SubjectForm(request.GET or None)
    subject = None
    if form.is_valid():
        subject = subjects.find(form.cleaned_data["doc_number"], form.cleaned_data["doc_type"])
        subjects.looked_up(subject, actor=request.user, via="ui", request=request)
    request_form = RequestForm(initial=request.GET.dict()) if subject else None
    return render(
        request,
        "privacy/search.html",
        {"form": form, "subject": subject, "request_form": request_form},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _filed(request, *, erasure: bool):
    """The request form of a POST, and the subject it names when valid."""
    form = RequestForm(request.POST, erasure=erasure)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, subjects.find(data["doc_number"], data["doc_type"])


def _refused(request, form):
    subject = None
    if form.cleaned_data.get("doc_number"):
        subject = subjects.find(
            form.cleaned_data["doc_number"], form.cleaned_data.get("doc_type", "")
        )
    return render(
        request,
        "privacy/search.html",
        {"form": SubjectForm(request.POST), "subject": subject, "request_form": form},
        status=400,
    )


@never_cache
@login_required
@require_POST
def export(request):
    """An access request: store it, log it and give the person's data as JSON."""
    return _file(request, erasure=False)


@never_cache
@login_required
@require_POST
def erase(request):
    """An erasure request: erase or anonymise all but what retention keeps."""
    return _file(request, erasure=True)


def _file(request, *, erasure: bool):
    """Handle a filed request (access or erasure); a bad form shows the search again (400)."""
    require_data_protection(request.user)
    form, subject = _filed(request, erasure=erasure)
    if subject is None:
        return _refused(request, form)
    reference = form.cleaned_data["reference"]
    if not erasure:
        handled = subjects.export_request(
            subject, actor=request.user, reference=reference, request=request
        )
        return export_response(subject, handled)
    handled = subjects.erase(subject, actor=request.user, reference=reference, request=request)
    return redirect("privacy:request_detail", code=handled.code)


@never_cache
@login_required
@require_GET
def request_list(request):
    """Every request handled, newest first."""
    require_data_protection(request.user)
    page = Paginator(SubjectRequest.objects.select_related("handled_by"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "privacy/request_list.html", {"page": page})


@never_cache
@login_required
@require_GET
def request_detail(request, code: str):
    """One request: what was kept (until when, why) and what was erased."""
    require_data_protection(request.user)
    handled = get_object_or_404(SubjectRequest.objects.select_related("handled_by"), code=code)
    return render(request, "privacy/request_detail.html", {"handled": handled})
