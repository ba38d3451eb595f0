"""The access-control matrix: for every named URL and every OpenAPI operation, which personas
may use it. This table is the spec; ``test_access_matrix`` fails when a route or an operation
appears without its entry here, and probes each entry as every persona.

Personas (``world.PERSONAS``): one user per role of ``brief.core.roles.Role`` (``solicitante``
and ``jefe`` of area A, ``proveedor`` and ``asesor`` of provider P — the advisor assigned to the
brief), ``otra_area`` (a requester of area B), ``otro_proveedor`` (the director of provider Q)
and ``anonimo``. Objects in URLs come from ``world.seed``: all of them belong to area A and
provider P, so ``otra_area`` and ``otro_proveedor`` must be refused everywhere they are named.

An allowed GET must answer 2xx/3xx (never a 4xx or 5xx). An allowed write passes the access
check: any answer but 401/403/404/5xx (a 400 or 409 about the body or the brief's state is the
action's business, not access control's). A refused persona gets 403/404 (anonymous pages: a
redirect to the login; anonymous API: 401/403), and a refused write changes no row and writes
no file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tests.security.world import ANON, OTHER_AREA, OTHER_PROVIDER, World

# --- persona sets -----------------------------------------------------------------------

AREA = frozenset({"solicitante", "jefe"})
PROV = frozenset({"proveedor", "asesor"})
STAFF = frozenset({"comunicaciones", "analista", "lider", "apoyo_front", "auditor"})
ROLES = AREA | PROV | STAFF
SIGNED_IN = ROLES | {OTHER_AREA, OTHER_PROVIDER}
EVERYONE = SIGNED_IN | {ANON}
NOBODY: frozenset[str] = frozenset()
# Who sees the brief of area A (``campaigns.permissions.may_view``): every staff role, its
# area, its provider (the advisor is assigned to it).
SEE = STAFF | AREA | PROV


def _s(*names: str) -> frozenset[str]:
    return frozenset(names)


Kwargs = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    """One named route: its URL arguments, who may GET and who may POST it (``None``: the
    method is not probed; the view does not serve it), the POST body."""

    kwargs: Kwargs = field(default=lambda w: {})
    get: frozenset[str] | None = None
    post: frozenset[str] | None = None
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    query: str = ""
    #: probe the allowed side with one persona only (an expensive page: charts, documents)
    heavy: bool = False
    #: an allowed answer may be the login page (signing out)
    login_ok: bool = False


@dataclass(frozen=True)
class Op:
    """One OpenAPI operation: who may call it, its body and path arguments (by default from
    ``api_params``)."""

    allow: frozenset[str]
    data: Callable[[World], Any] = field(default=lambda w: {})
    query: str | Callable[[World], str] = ""
    heavy: bool = False
    #: personas whose answer may name area A's objects, and why (a documented summary)
    shows: frozenset[str] = frozenset()


def code(w: World) -> dict[str, Any]:
    return {"code": w.brief.code}


def brief_and(**more: Callable[[World], Any]) -> Kwargs:
    return lambda w: {"code": w.brief.code, **{k: f(w) for k, f in more.items()}}


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# Path arguments of the API: by the collection they follow.
_API_ARGS: dict[tuple[str, str], Callable[[World], Any]] = {
    ("briefs", "code"): lambda w: w.brief.code,
    ("changes", "number"): lambda w: w.change.number,
    ("questions", "qid"): lambda w: w.question.pk,
    ("attachments", "aid"): lambda w: w.attachment.pk,
    ("approvals", "which"): lambda w: "leader",
    ("advisors", "username"): lambda w: "asesor",
    ("typification", "id"): lambda w: w.node.pk,
    ("bases", "id"): lambda w: w.base.pk,
    ("cases", "code"): lambda w: w.case.code,
    ("certificates", "code"): lambda w: w.certificate.code,
    ("conversations", "id"): lambda w: w.conversation.pk,
    ("crm-layouts", "id"): lambda w: w.layout.pk,
    ("interaction-imports", "id"): lambda w: w.import_job.pk,
    ("interactions", "code"): lambda w: w.interaction.code,
    ("notifications", "id"): lambda w: w.notification.pk,
    ("provider-accounts", "code"): lambda w: "locmem",
    ("recommendations", "id"): lambda w: w.recommendation.pk,
    ("suppressions", "id"): lambda w: w.suppression.pk,
    ("sweeps", "id"): lambda w: w.sweep.pk,
    ("{id}", "command"): lambda w: "pause",
    ("templates", "id"): lambda w: w.template.pk,
}


def api_path(template: str, w: World) -> str:
    """The OpenAPI path ``template`` with its ``{arguments}`` filled from the world."""
    parts = template.strip("/").split("/")
    out = []
    for i, part in enumerate(parts):
        if part.startswith("{"):
            part = str(_API_ARGS[(parts[i - 1], part[1:-1])](w))
        out.append(part)
    return "/" + "/".join(out) + "/"


# Route names left out of the matrix, with the reason.
EXCLUDED_NAMES = {
    "api:api-root": "DRF's browsable index of the API router, no data (not in the schema)",
}
EXCLUDED_NAMESPACES = {
    "admin": "Django admin: staff-only by Django's own admin site (is_staff), not the roles",
}

PAGES: dict[str, Page] = {}
API: dict[str, Op] = {}

PAGES.update(
    {
        "accounts:login": Page(
            get=EVERYONE,
            post=EVERYONE,
            data=lambda w: {"username": "solicitante", "password": "mala"},
        ),
        "accounts:logout": Page(post=EVERYONE, login_ok=True),
        "accounts:otp_setup": Page(get=SIGNED_IN, post=SIGNED_IN, data=lambda w: {"otp": "123456"}),
        "accounts:otp_verify": Page(
            get=EVERYONE, post=EVERYONE, login_ok=True, data=lambda w: {"otp": "123456"}
        ),
        "accounts:password_change": Page(
            get=SIGNED_IN,
            post=SIGNED_IN,
            data=lambda w: {
                "old_password": "demo",
                "new_password1": "Clave-Nueva-2026!",
                "new_password2": "Clave-Nueva-2026!",
            },
        ),
        "accounts:password_change_done": Page(get=SIGNED_IN),
        "api_docs": Page(get=SIGNED_IN),
        "calls:advisor_assign": Page(
            kwargs=code, post=SEE, data=lambda w: {"advisor": w.users["asesor"].pk}
        ),
        "calls:advisor_unassign": Page(
            kwargs=code, post=SEE, data=lambda w: {"advisor": w.users["asesor"].pk}
        ),
        "calls:brief_panel": Page(kwargs=code, get=SEE),
        "calls:case_annotate": Page(
            kwargs=lambda w: {"code": w.case.code},
            post=_s("analista", "proveedor", "asesor"),
            data=lambda w: {"text": "Nota"},
        ),
        "calls:case_close": Page(
            kwargs=lambda w: {"code": w.case.code},
            post=_s("analista", "proveedor", "asesor"),
            data=lambda w: {"text": "Cerrado"},
        ),
        "calls:case_detail": Page(
            kwargs=lambda w: {"code": w.case.code},
            get=_s("analista", "lider", "proveedor", "asesor", "auditor"),
        ),
        "calls:cases": Page(
            get=_s("analista", "lider", "proveedor", "asesor", "auditor", "otro_proveedor")
        ),
        "calls:conversation_close": Page(
            kwargs=lambda w: {"pk": w.conversation.pk},
            post=_s("proveedor", "asesor"),
            data=lambda w: {"typification": w.node.pk, "observations": "x"},
        ),
        "calls:conversation_detail": Page(
            kwargs=lambda w: {"pk": w.conversation.pk},
            get=_s("analista", "lider", "proveedor", "asesor", "auditor"),
        ),
        "calls:conversation_reply": Page(
            kwargs=lambda w: {"pk": w.conversation.pk},
            post=_s("proveedor", "asesor"),
            data=lambda w: {"text": "Hola"},
        ),
        "calls:conversations": Page(
            get=_s("analista", "lider", "proveedor", "asesor", "auditor", "otro_proveedor")
        ),
        "calls:export": Page(get=SIGNED_IN),
        "calls:history": Page(get=SIGNED_IN),
        "calls:import": Page(
            get=_s("proveedor", "otro_proveedor"),
            post=_s("proveedor", "otro_proveedor"),
            data=lambda w: {"file": _file("i.csv", b"codigo\n"), "brief": w.brief.pk},
        ),
        "calls:import_detail": Page(
            kwargs=lambda w: {"pk": w.import_job.pk}, get=_s("analista", "proveedor", "auditor")
        ),
        "calls:interaction_detail": Page(
            kwargs=lambda w: {"code": w.interaction.code},
            get=SEE,
            post=_s("proveedor", "asesor"),
            data=lambda w: {"kind": "screen", "url": "https://grabador.example/v/1.webm"},
        ),
        "calls:interactions": Page(kwargs=code, get=SEE),
        "calls:layout_add": Page(
            get=_s("analista"),
            post=_s("analista"),
            data=lambda w: {
                "name": "Nuevo",
                "area": w.area.pk,
                "columns": '[{"field": "code", "header": "C"}]',
            },
        ),
        "calls:layout_delete": Page(kwargs=lambda w: {"pk": w.layout.pk}, post=_s("analista")),
        "calls:layout_edit": Page(
            kwargs=lambda w: {"pk": w.layout.pk},
            get=_s("analista"),
            post=_s("analista"),
            data=lambda w: {
                "name": "Otro",
                "area": w.area.pk,
                "columns": '[{"field": "code", "header": "C"}]',
            },
        ),
        "calls:recording_download": Page(
            kwargs=lambda w: {"code": w.interaction.code, "kind": "audio"}, get=SEE
        ),
        "calls:results": Page(kwargs=code, get=SEE),
        "calls:results_xlsx": Page(kwargs=code, get=SEE),
        "calls:statement": Page(get=_s("analista", "proveedor", "auditor", "otro_proveedor")),
        "calls:typification": Page(kwargs=code, get=SEE),
        "calls:typification_add": Page(
            kwargs=code, post=_s("analista"), data=lambda w: {"label": "Nuevo", "code": "ZZ"}
        ),
        "calls:typification_default": Page(kwargs=code, post=_s("analista")),
        "calls:typification_delete": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.node.pk)(w), post=_s("analista")
        ),
        "calls:typification_import": Page(
            kwargs=code, post=_s("analista"), data=lambda w: {"file": _file("t.csv", b"x\n")}
        ),
        "calls:typification_node": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.node.pk)(w),
            get=SEE,
            post=_s("analista"),
            data=lambda w: {"label": "Otro", "code": "ZY"},
        ),
        "calls:workbench": Page(kwargs=code, get=_s("asesor")),
        "calls:workbench_figures": Page(kwargs=code, get=_s("asesor")),
        "calls:workbench_history": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.entry.pk)(w), get=_s("asesor")
        ),
        "calls:workbench_home": Page(get=SIGNED_IN),
        "calls:workbench_next": Page(kwargs=code, post=_s("asesor")),
        "calls:workbench_release": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.entry.pk)(w), post=_s("asesor")
        ),
        "calls:workbench_work": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.entry.pk)(w),
            post=_s("asesor"),
            data=lambda w: {"typification": w.node.pk, "observations": "x"},
        ),
        "campaigns:action": Page(
            kwargs=lambda w: brief_and(action=lambda w: "deliver_results")(w),
            post=_s("proveedor"),
            data=lambda w: {"note": "x"},
        ),
        "campaigns:approve": Page(
            kwargs=lambda w: brief_and(which=lambda w: "leader")(w), post=_s("lider")
        ),
        "campaigns:approval_refuse": Page(
            kwargs=lambda w: brief_and(which=lambda w: "leader")(w),
            post=_s("lider"),
            data=lambda w: {"reason": "x"},
        ),
        "campaigns:approval_request": Page(
            kwargs=lambda w: brief_and(which=lambda w: "leader")(w), post=AREA
        ),
        "campaigns:attachment_download": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.attachment.pk)(w), get=SEE
        ),
        "campaigns:attachment_upload": Page(
            kwargs=code,
            post=SEE,
            data=lambda w: {"kind": "other", "file": _file("nota.txt", b"hola\n")},
        ),
        # the world's file is one only the area may upload: so only it replaces or withdraws it
        "campaigns:attachment_replace": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.attachment.pk)(w),
            post=AREA,
            data=lambda w: {"file": _file("nota.txt", b"hola otra vez\n")},
        ),
        "campaigns:attachment_mark_current": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.attachment.pk)(w), post=AREA
        ),
        "campaigns:attachment_withdraw": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.attachment.pk)(w),
            post=AREA,
            data=lambda w: {"reason": "Se cargó por error"},
        ),
        "campaigns:attachment_verify": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.attachment.pk)(w), post=SEE
        ),
        "campaigns:board": Page(get=_s("analista", "lider", "auditor")),
        "campaigns:board_export": Page(get=_s("analista", "lider", "auditor"), query="formato=csv"),
        "campaigns:brief_create": Page(
            get=_s("solicitante", "jefe", "otra_area"),
            post=_s("solicitante", "jefe", "otra_area"),
            data=lambda w: {
                "name": "Nuevo",
                "objective": "x",
                "description": "x",
                "campaign_class": "servicio",
                "kind": "informativa",
                "channels": ["sms"],
                "audience": "x",
            },
        ),
        "campaigns:brief_detail": Page(kwargs=code, get=SEE),
        "campaigns:brief_edit": Page(
            kwargs=code,
            get=_s("solicitante", "jefe"),
            post=_s("solicitante", "jefe"),
            data=lambda w: {
                "name": "Cambiado",
                "objective": "x",
                "description": "x",
                "campaign_class": "servicio",
                "kind": "informativa",
                "channels": ["sms"],
                "audience": "x",
            },
        ),
        "campaigns:brief_list": Page(get=SIGNED_IN),
        "campaigns:brief_export": Page(get=SIGNED_IN, query="formato=csv"),
        "campaigns:brief_tab": Page(
            kwargs=lambda w: brief_and(tab=lambda w: "preguntas")(w), get=SEE
        ),
        "campaigns:change_acknowledge": Page(
            kwargs=lambda w: brief_and(number=lambda w: w.change.number)(w), post=_s("proveedor")
        ),
        "campaigns:change_decide": Page(
            kwargs=lambda w: brief_and(
                number=lambda w: w.change.number, decision=lambda w: "aprobar"
            )(w),
            post=_s("analista"),
            data=lambda w: {"note": "ok"},
        ),
        "campaigns:change_file": Page(
            kwargs=code,
            post=_s("solicitante", "jefe", "analista"),
            data=lambda w: {"reason": "Cambio", "sweeps_planned": 3},
        ),
        "campaigns:f559_pdf": Page(
            kwargs=lambda w: brief_and(number=lambda w: w.version.number)(w)
        ),
        "campaigns:home_panels": Page(get=SIGNED_IN),
        "campaigns:kickoff_record": Page(
            kwargs=code,
            post=_s("proveedor"),
            data=lambda w: {"held_on": "2026-12-01", "attendees": "Ana"},
        ),
        "campaigns:notification_digest": Page(
            post=SIGNED_IN, data=lambda w: {"daily_digest": "on"}
        ),
        "campaigns:notification_read": Page(
            kwargs=lambda w: {"pk": w.notification.pk}, post=_s("solicitante")
        ),
        "campaigns:notifications": Page(get=SIGNED_IN),
        "campaigns:notifications_read_all": Page(post=SIGNED_IN),
        "campaigns:question_answer": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.question.pk)(w),
            post=_s("solicitante", "jefe", "analista"),
            data=lambda w: {"answer": "El 30."},
        ),
        "campaigns:question_ask": Page(
            kwargs=code, post=_s("proveedor", "asesor"), data=lambda w: {"text": "¿Y el guion?"}
        ),
        "campaigns:training_record": Page(
            kwargs=code,
            post=_s("proveedor"),
            data=lambda w: {"held_on": "2026-12-01", "topic": "Guion", "advisors": ["asesor"]},
        ),
        "contacts:base_cancel": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.base.pk)(w),
            post=_s("solicitante", "jefe", "analista", "proveedor"),
        ),
        "contacts:base_detail": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.base.pk)(w), get=SEE
        ),
        "contacts:base_list": Page(kwargs=code, get=SEE),
        "contacts:base_managed": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.base.pk, fmt=lambda w: "csv")(w), get=SEE
        ),
        "contacts:base_map": Page(
            kwargs=code, get=SEE, post=SEE, data=lambda w: {"channels": ["sms"]}
        ),
        "contacts:base_progress": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.base.pk)(w), get=SEE
        ),
        "contacts:base_rejects": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.base.pk, fmt=lambda w: "csv")(w), get=SEE
        ),
        "contacts:segment_count": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.base.pk)(w),
            post=SEE,
            data=lambda w: {"city": "Bogotá"},
        ),
        "contacts:segments": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.base.pk)(w),
            get=SEE,
            post=_s("solicitante", "jefe", "analista", "proveedor"),
            data=lambda w: {"name": "Bogotá", "city": "Bogotá"},
        ),
        "contacts:suppression_add": Page(
            post=_s("analista", "proveedor", "otro_proveedor"),
            data=lambda w: {"channel": "sms", "value": "3001112233", "reason": "x"},
        ),
        "contacts:suppression_rne": Page(
            post=_s("analista", "proveedor", "otro_proveedor"),
            data=lambda w: {"file": _file("rne.csv", b"celular\n3001112233\n")},
        ),
        "contacts:suppressions": Page(get=_s("analista", "proveedor", "auditor", "otro_proveedor")),
        "content:creative_download": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.creative.pk)(w), get=SEE
        ),
        "content:creative_public": Page(kwargs=lambda w: {"token": w.creative_token}, get=EVERYONE),
        "content:creative_upload": Page(
            kwargs=code,
            post=SEE,
            data=lambda w: {"channel": "call", "file": _file("p.mp3", b"ID3\x03\x00" + bytes(64))},
        ),
        "content:index": Page(kwargs=code, get=SEE),
        # the preview lives in the session that rendered it: a token of no session never opens it
        "content:mail_preview": Page(kwargs=brief_and(token=lambda w: "x"), get=NOBODY),
        "content:link_open": Page(kwargs=lambda w: {"token": "garbage"}, get=NOBODY),
        "content:template_edit": Page(
            kwargs=lambda w: brief_and(pk=lambda w: w.template.pk)(w),
            get=SEE,
            post=SEE,
            data=lambda w: {"name": "Otra", "body": "Hola"},
        ),
        "content:template_new": Page(
            kwargs=code,
            query="canal=sms",
            get=SEE,
            post=SEE,
            data=lambda w: {"channel": "sms", "name": "Otra", "body": "Hola"},
        ),
        "content:template_preview": Page(
            kwargs=code, post=SEE, data=lambda w: {"channel": "sms", "body": "Hola {nombres}"}
        ),
        "core:audit_export": Page(get=_s("analista", "auditor"), query="formato=csv"),
        "core:favicon": Page(get=EVERYONE),
        "core:audit_list": Page(get=_s("analista", "auditor"), post=_s("analista", "auditor")),
        "core:home": Page(get=SIGNED_IN, post=SIGNED_IN),
        "dispatch:brief_inbound": Page(kwargs=code, get=SEE),
        "dispatch:brief_sweeps": Page(kwargs=code, get=SEE),
        "dispatch:open_pixel": Page(kwargs=lambda w: {"token": w.open_token}, get=EVERYONE),
        "dispatch:sweep_control": Page(
            kwargs=lambda w: {"pk": w.sweep.pk, "command": "pausar"},
            post=_s("analista", "proveedor"),
        ),
        "dispatch:sweep_create": Page(
            kwargs=code,
            get=_s("analista", "proveedor"),
            post=_s("analista", "proveedor"),
            data=lambda w: {
                "channel": "sms",
                "template": w.template.pk,
                "provider_account": "locmem",
            },
        ),
        "dispatch:sweep_forecast": Page(
            kwargs=code, query="channel=sms", get=_s("analista", "proveedor")
        ),
        "dispatch:sweep_messages": Page(
            kwargs=lambda w: {"pk": w.sweep.pk}, query="estado=deferred&motivo=daily_cap", get=SEE
        ),
        "dispatch:sweep_decide": Page(
            kwargs=lambda w: {"pk": w.sweep.pk},
            post=_s("analista", "proveedor"),
            data=lambda w: {"decision": "resend"},
        ),
        "dispatch:sweep_detail": Page(kwargs=lambda w: {"pk": w.sweep.pk}, get=SEE),
        "dispatch:sweep_progress": Page(kwargs=lambda w: {"pk": w.sweep.pk}, get=SEE),
        "dispatch:sweep_sync_templates": Page(
            kwargs=lambda w: {"pk": w.sweep.pk}, post=_s("analista", "proveedor")
        ),
        "dispatch:unsubscribe": Page(
            kwargs=lambda w: {"token": w.unsubscribe_token}, get=EVERYONE, post=EVERYONE
        ),
        "evidence:certificate_issue": Page(
            post=_s("solicitante", "jefe", "analista", "proveedor", "auditor"),
            data=lambda w: {"message": w.message.pk},
        ),
        "evidence:certificate_pdf": Page(kwargs=lambda w: {"code": w.certificate.code}, get=SEE),
        "evidence:expediente": Page(kwargs=code, get=_s("analista", "auditor")),
        "evidence:verify": Page(
            kwargs=lambda w: {"code": w.certificate.code},
            get=EVERYONE,
            post=EVERYONE,
            data=lambda w: {"file": _file("c.pdf", b"%PDF-1.4")},
        ),
        "health": Page(get=EVERYONE),
        "privacy:erase": Page(
            post=_s("analista", "lider"),
            data=lambda w: {
                "doc_number": w.contact.doc_number,
                "doc_type": "CC",
                "reference": "RAD-2",
                "confirm": "on",
            },
        ),
        "privacy:export": Page(
            post=_s("analista", "lider"),
            data=lambda w: {
                "doc_number": w.contact.doc_number,
                "doc_type": "CC",
                "reference": "RAD-3",
            },
        ),
        "privacy:request_detail": Page(
            kwargs=lambda w: {"code": w.subject_request.code}, get=_s("analista", "lider")
        ),
        "privacy:request_list": Page(get=_s("analista", "lider")),
        "privacy:search": Page(get=_s("analista", "lider")),
        "provider_callback": Page(
            kwargs=lambda w: {"code": "locmem"},
            get=NOBODY,
            post=NOBODY,
            data=lambda w: {"id": "m-1", "status": "failed"},
        ),
        "reports:campaign": Page(kwargs=code, get=SEE),
        "reports:campaign_download": Page(
            kwargs=lambda w: brief_and(fmt=lambda w: "csv")(w), get=SEE
        ),
        "reports:conclusions": Page(
            kwargs=code, post=_s("analista"), data=lambda w: {"text": "Conclusión"}
        ),
        "reports:daily_download": Page(
            kwargs=lambda w: brief_and(day=lambda w: w.daily.day.isoformat())(w), get=SEE
        ),
        "reports:daily_list": Page(kwargs=code, get=SEE),
        "reports:dashboard": Page(
            get=_s("solicitante", "jefe", "analista", "lider", "auditor", "otra_area")
        ),
        "reports:delivered": Page(
            kwargs=lambda w: brief_and(version=lambda w: 1, fmt=lambda w: "pdf")(w), get=SEE
        ),
        "reports:monthly": Page(
            get=_s(
                "solicitante",
                "jefe",
                "analista",
                "lider",
                "proveedor",
                "auditor",
                "otra_area",
                "otro_proveedor",
            )
        ),
        "reports:qc_detail": Page(
            kwargs=lambda w: {"month": "2026-12"}, get=_s("analista", "lider", "auditor")
        ),
        "reports:qc_item_review": Page(
            kwargs=lambda w: {"month": "2026-12", "item": w.qc_item.pk},
            post=_s("analista", "auditor"),
            data=lambda w: {"finding": "ok"},
        ),
        "reports:qc_list": Page(
            get=_s("analista", "lider", "auditor"),
            post=_s("analista"),
            data=lambda w: {"mes": "2026-11"},
        ),
        "reports:recommendation_list": Page(
            get=_s(
                "solicitante",
                "jefe",
                "analista",
                "lider",
                "proveedor",
                "auditor",
                "otra_area",
                "otro_proveedor",
            ),
            post=_s("analista", "proveedor", "otro_proveedor"),
            data=lambda w: {
                "text": "x",
                "area": w.area.pk,
                "owner": w.users["solicitante"].pk,
                "due_date": "2027-01-15",
            },
        ),
        "reports:recommendation_update": Page(
            kwargs=lambda w: {"pk": w.recommendation.pk},
            post=_s("solicitante", "analista"),
            data=lambda w: {"status": "in_progress", "note": "x"},
        ),
        "reports:register": Page(
            kwargs=lambda w: brief_and(kind=lambda w: "sent", fmt=lambda w: "csv")(w), get=SEE
        ),
        "reports:sla_breach_reason": Page(
            kwargs=lambda w: {"pk": w.clock.pk},
            post=_s("analista"),
            data=lambda w: {"reason": "Demora"},
        ),
        "reports:sla_report": Page(get=_s("analista", "auditor")),
        "schema": Page(get=SIGNED_IN),
    }
)
API.update(
    {
        "POST /api/v1/auth/token/": Op(
            EVERYONE, data=lambda w: {"username": "solicitante", "password": "mala"}
        ),
        "GET /api/v1/bases/": Op(SIGNED_IN),
        "POST /api/v1/bases/": Op(
            _s("solicitante", "jefe", "analista", "proveedor"),
            data=lambda w: {"brief": w.brief.code, "attachment": w.attachment.pk},
        ),
        "POST /api/v1/bases/inspect/": Op(
            SIGNED_IN, data=lambda w: {"file": _file("b.csv", b"documento\n1\n")}
        ),
        "GET /api/v1/bases/{id}/": Op(SEE),
        "POST /api/v1/bases/{id}/cancel/": Op(
            _s("solicitante", "jefe", "analista", "proveedor"), data=lambda w: {}
        ),
        "GET /api/v1/bases/{id}/rejects/": Op(SEE),
        "GET /api/v1/bases/{id}/segments/": Op(SEE),
        "POST /api/v1/bases/{id}/segments/": Op(
            _s("solicitante", "jefe", "analista", "proveedor"),
            data=lambda w: {"name": "Bogotá", "filters": {"city": "Bogotá"}},
        ),
        "POST /api/v1/bases/{id}/segments/count/": Op(
            SEE, data=lambda w: {"filters": {"city": "Bogotá"}}
        ),
        "GET /api/v1/billing-statements/": Op(
            _s("analista", "proveedor", "auditor"), query="provider=bpo&month=2026-12"
        ),
        "GET /api/v1/briefs/": Op(SIGNED_IN),
        "POST /api/v1/briefs/": Op(
            _s("solicitante", "jefe", "otra_area"),
            data=lambda w: {
                "name": "Nuevo",
                "objective": "x",
                "description": "x",
                "campaign_class": "servicio",
                "kind": "informativa",
                "channels": ["sms"],
                "audience": "x",
            },
        ),
        "GET /api/v1/briefs/{code}/": Op(SEE),
        "PATCH /api/v1/briefs/{code}/": Op(
            _s("solicitante", "jefe"), data=lambda w: {"name": "Cambiado"}
        ),
        "POST /api/v1/briefs/{code}/accept/": Op(_s("solicitante", "jefe"), data=lambda w: {}),
        "GET /api/v1/briefs/{code}/advisors/": Op(SEE),
        "POST /api/v1/briefs/{code}/advisors/": Op(
            _s("proveedor"), data=lambda w: {"advisor": "asesor"}
        ),
        "DELETE /api/v1/briefs/{code}/advisors/{username}/": Op(_s("proveedor")),
        "POST /api/v1/briefs/{code}/approvals/{which}/": Op(_s("lider"), data=lambda w: {}),
        "POST /api/v1/briefs/{code}/approvals/{which}/refuse/": Op(
            _s("lider"), data=lambda w: {"reason": "x"}
        ),
        "POST /api/v1/briefs/{code}/approvals/{which}/request/": Op(AREA, data=lambda w: {}),
        "POST /api/v1/briefs/{code}/approve_exit/": Op(
            _s("solicitante", "jefe", "analista"), data=lambda w: {}
        ),
        "GET /api/v1/briefs/{code}/attachments/": Op(SEE),
        "POST /api/v1/briefs/{code}/attachments/": Op(
            _s("solicitante", "jefe"),
            data=lambda w: {"kind": "creative", "file": _file("p.txt", b"hola\n")},
        ),
        # the world's file is one only the area may upload: so only it replaces or withdraws it
        "POST /api/v1/briefs/{code}/attachments/{aid}/replace/": Op(
            AREA, data=lambda w: {"file": _file("nota.txt", b"hola otra vez\n")}
        ),
        "POST /api/v1/briefs/{code}/attachments/{aid}/mark-current/": Op(AREA, data=lambda w: {}),
        "POST /api/v1/briefs/{code}/attachments/{aid}/withdraw/": Op(
            AREA, data=lambda w: {"reason": "Se cargó por error"}
        ),
        "POST /api/v1/briefs/{code}/attachments/{aid}/verify/": Op(SEE, data=lambda w: {}),
        "POST /api/v1/briefs/{code}/cancel/": Op(_s("analista"), data=lambda w: {"note": "x"}),
        "GET /api/v1/briefs/{code}/changes/": Op(SEE),
        "POST /api/v1/briefs/{code}/changes/": Op(
            _s("solicitante", "jefe", "analista"),
            data=lambda w: {"reason": "x", "changes": {"sweeps_planned": 3}},
        ),
        "GET /api/v1/briefs/{code}/changes/{number}/": Op(SEE),
        "POST /api/v1/briefs/{code}/changes/{number}/acknowledge/": Op(
            _s("proveedor"), data=lambda w: {}
        ),
        "POST /api/v1/briefs/{code}/changes/{number}/approve/": Op(
            _s("analista"), data=lambda w: {"note": "ok"}
        ),
        "POST /api/v1/briefs/{code}/changes/{number}/reject/": Op(
            _s("analista"), data=lambda w: {"note": "no"}
        ),
        "GET /api/v1/briefs/{code}/contact-center/": Op(SEE),
        "GET /api/v1/briefs/{code}/contact-center/answers/": Op(SEE, query="question=satisfecho"),
        "GET /api/v1/briefs/{code}/contact-center/xlsx/": Op(SEE),
        "GET /api/v1/briefs/{code}/creatives/": Op(SEE),
        "POST /api/v1/briefs/{code}/creatives/": Op(
            SEE,
            data=lambda w: {"channel": "call", "file": _file("p.mp3", b"ID3\x03\x00" + bytes(64))},
        ),
        "GET /api/v1/briefs/{code}/daily-reports/": Op(SEE),
        "POST /api/v1/briefs/{code}/deliver_results/": Op(_s("proveedor"), data=lambda w: {}),
        "GET /api/v1/briefs/{code}/expediente/": Op(_s("analista", "auditor")),
        "POST /api/v1/briefs/{code}/forward/": Op(
            _s("analista"), data=lambda w: {"provider": "bpo"}
        ),
        "GET /api/v1/briefs/{code}/inbound/": Op(SEE),
        "GET /api/v1/briefs/{code}/kickoff/": Op(SEE),
        "POST /api/v1/briefs/{code}/kickoff/": Op(
            _s("proveedor"), data=lambda w: {"held_on": "2026-12-01", "attendees": "Ana"}
        ),
        "POST /api/v1/briefs/{code}/load_base/": Op(_s("proveedor"), data=lambda w: {}),
        "GET /api/v1/briefs/{code}/questions/": Op(SEE),
        "POST /api/v1/briefs/{code}/questions/": Op(
            _s("proveedor", "asesor"), data=lambda w: {"text": "¿Y el guion?"}
        ),
        "POST /api/v1/briefs/{code}/questions/{qid}/answer/": Op(
            _s("solicitante", "jefe", "analista"), data=lambda w: {"answer": "El 30."}
        ),
        "POST /api/v1/briefs/{code}/receive/": Op(_s("proveedor"), data=lambda w: {}),
        "POST /api/v1/briefs/{code}/refuse_exit/": Op(
            _s("solicitante", "jefe", "analista"), data=lambda w: {"note": "x"}
        ),
        "POST /api/v1/briefs/{code}/reject_results/": Op(
            _s("solicitante", "jefe"), data=lambda w: {"note": "x"}
        ),
        "GET /api/v1/briefs/{code}/report/": Op(SEE),
        "POST /api/v1/briefs/{code}/report/conclusions/": Op(
            _s("analista"), data=lambda w: {"text": "Conclusión"}
        ),
        "POST /api/v1/briefs/{code}/request_exit/": Op(_s("proveedor"), data=lambda w: {}),
        "POST /api/v1/briefs/{code}/return/": Op(_s("analista"), data=lambda w: {"note": "x"}),
        "POST /api/v1/briefs/{code}/return_results/": Op(
            _s("analista"), data=lambda w: {"note": "x"}
        ),
        "POST /api/v1/briefs/{code}/send_results/": Op(_s("analista"), data=lambda w: {}),
        "POST /api/v1/briefs/{code}/start_review/": Op(_s("analista"), data=lambda w: {}),
        "POST /api/v1/briefs/{code}/submit/": Op(_s("solicitante", "jefe"), data=lambda w: {}),
        "GET /api/v1/briefs/{code}/sweeps/": Op(SEE),
        "POST /api/v1/briefs/{code}/sweeps/": Op(
            _s("analista", "proveedor"),
            data=lambda w: {
                "channel": "sms",
                "template": w.template.pk,
                "provider_account": "locmem",
            },
        ),
        "GET /api/v1/briefs/{code}/templates/": Op(SEE),
        "POST /api/v1/briefs/{code}/templates/": Op(
            SEE, data=lambda w: {"channel": "sms", "name": "Otra", "body": "Hola"}
        ),
        "GET /api/v1/briefs/{code}/timeline/": Op(SEE),
        "GET /api/v1/briefs/{code}/trainings/": Op(SEE),
        "POST /api/v1/briefs/{code}/trainings/": Op(
            _s("proveedor"),
            data=lambda w: {"held_on": "2026-12-01", "topic": "Guion", "advisors": ["asesor"]},
        ),
        "GET /api/v1/briefs/{code}/typification/": Op(SEE),
        "POST /api/v1/briefs/{code}/typification/": Op(
            _s("analista"), data=lambda w: {"label": "Nuevo", "code": "ZZ"}
        ),
        "POST /api/v1/briefs/{code}/typification/default/": Op(_s("analista"), data=lambda w: {}),
        "POST /api/v1/briefs/{code}/typification/import/": Op(
            _s("analista"), data=lambda w: {"file": _file("t.csv", b"x\n")}
        ),
        "DELETE /api/v1/briefs/{code}/typification/{id}/": Op(_s("analista")),
        "PATCH /api/v1/briefs/{code}/typification/{id}/": Op(
            _s("analista"), data=lambda w: {"label": "Otro"}
        ),
        "GET /api/v1/cases/": Op(
            _s("analista", "lider", "proveedor", "asesor", "auditor", "otro_proveedor")
        ),
        "GET /api/v1/cases/{code}/": Op(_s("analista", "lider", "proveedor", "asesor", "auditor")),
        "POST /api/v1/cases/{code}/annotate/": Op(
            _s("analista", "proveedor", "asesor"), data=lambda w: {"text": "Nota"}
        ),
        "POST /api/v1/cases/{code}/close/": Op(
            _s("analista", "proveedor", "asesor"), data=lambda w: {"text": "Cerrado"}
        ),
        "POST /api/v1/certificates/": Op(
            _s("solicitante", "jefe", "analista", "proveedor", "auditor"),
            data=lambda w: {"message": w.message.pk},
        ),
        "POST /api/v1/certificates/verify/": Op(
            EVERYONE, data=lambda w: {"file": _file("c.pdf", b"%PDF-1.4")}
        ),
        "GET /api/v1/certificates/{code}/": Op(SEE),
        "POST /api/v1/content/preview/": Op(
            SIGNED_IN,
            data=lambda w: {"channel": "sms", "body": "Hola {nombres}", "brief": w.brief.code},
        ),
        "GET /api/v1/conversations/": Op(
            _s("analista", "lider", "proveedor", "asesor", "auditor", "otro_proveedor")
        ),
        "GET /api/v1/conversations/{id}/": Op(
            _s("analista", "lider", "proveedor", "asesor", "auditor")
        ),
        "POST /api/v1/conversations/{id}/close/": Op(
            _s("proveedor", "asesor"),
            data=lambda w: {"typification": w.node.pk, "observations": "x"},
        ),
        "POST /api/v1/conversations/{id}/reply/": Op(
            _s("proveedor", "asesor"), data=lambda w: {"text": "Hola"}
        ),
        "GET /api/v1/crm-layouts/": Op(SIGNED_IN),
        "POST /api/v1/crm-layouts/": Op(
            _s("analista"),
            data=lambda w: {
                "name": "Nuevo",
                "area": w.area.code,
                "columns": [{"field": "code", "header": "C"}],
            },
        ),
        "GET /api/v1/crm-layouts/catalogue/": Op(SIGNED_IN),
        "DELETE /api/v1/crm-layouts/{id}/": Op(_s("analista")),
        "GET /api/v1/crm-layouts/{id}/": Op(_s("solicitante", "jefe", "analista", "auditor")),
        "PATCH /api/v1/crm-layouts/{id}/": Op(_s("analista"), data=lambda w: {"name": "Otro"}),
        "GET /api/v1/data-subjects/": Op(
            _s("analista", "lider"),
            query=lambda w: f"doc_number={w.contact.doc_number}&doc_type=CC",
        ),
        "POST /api/v1/data-subjects/erase/": Op(
            _s("analista", "lider"),
            data=lambda w: {
                "doc_number": w.contact.doc_number,
                "doc_type": "CC",
                "reference": "RAD-2",
            },
        ),
        "POST /api/v1/data-subjects/export/": Op(
            _s("analista", "lider"),
            data=lambda w: {
                "doc_number": w.contact.doc_number,
                "doc_type": "CC",
                "reference": "RAD-3",
            },
        ),
        "GET /api/v1/interaction-imports/": Op(SIGNED_IN),
        "POST /api/v1/interaction-imports/": Op(
            _s("proveedor"),
            data=lambda w: {"file": _file("i.csv", b"codigo\n"), "brief": w.brief.code},
        ),
        "GET /api/v1/interaction-imports/{id}/": Op(_s("analista", "proveedor", "auditor")),
        "GET /api/v1/interactions/": Op(SIGNED_IN),
        "POST /api/v1/interactions/": Op(
            _s("proveedor", "asesor"),
            data=lambda w: {
                "brief": w.brief.code,
                "channel": "call",
                "contact": w.contact.pk,
                "typification": w.node.pk,
            },
        ),
        "GET /api/v1/interactions/{code}/": Op(SEE),
        "PATCH /api/v1/interactions/{code}/": Op(
            _s("proveedor", "asesor"), data=lambda w: {"observations": "x"}
        ),
        "POST /api/v1/interactions/{code}/recordings/": Op(
            _s("proveedor", "asesor"),
            data=lambda w: {"kind": "screen", "url": "https://grabador.example/v/1.webm"},
        ),
        # README «Historial del beneficiario»: a provider sees that another brief contacted the
        # person (campaign, channel, date, status), never the content.
        "GET /api/v1/lookup/": Op(
            SIGNED_IN,
            query=lambda w: f"document={w.contact.doc_number}",
            shows=_s(OTHER_PROVIDER),
        ),
        "GET /api/v1/me/": Op(SIGNED_IN),
        "GET /api/v1/notifications/": Op(SIGNED_IN),
        "POST /api/v1/notifications/read-all/": Op(SIGNED_IN, data=lambda w: {}),
        "POST /api/v1/notifications/{id}/read/": Op(_s("solicitante"), data=lambda w: {}),
        "GET /api/v1/provider-accounts/": Op(NOBODY),
        "POST /api/v1/provider-accounts/": Op(
            NOBODY,
            data=lambda w: {
                "code": "nuevo",
                "name": "Nuevo",
                "kind": "simulated",
                "channels": ["sms"],
            },
        ),
        "DELETE /api/v1/provider-accounts/{code}/": Op(NOBODY),
        "GET /api/v1/provider-accounts/{code}/": Op(NOBODY),
        "PATCH /api/v1/provider-accounts/{code}/": Op(NOBODY, data=lambda w: {"name": "Otro"}),
        "POST /api/v1/provider-accounts/{code}/sync-templates/": Op(NOBODY, data=lambda w: {}),
        "POST /api/v1/provider-accounts/{code}/test/": Op(
            NOBODY, data=lambda w: {"to": "3001234567", "text": "x", "channel": "sms"}
        ),
        "GET /api/v1/recommendations/": Op(
            _s(
                "solicitante",
                "jefe",
                "analista",
                "lider",
                "proveedor",
                "auditor",
                "otra_area",
                "otro_proveedor",
            )
        ),
        "POST /api/v1/recommendations/": Op(
            _s("analista", "proveedor", "otro_proveedor"),
            data=lambda w: {
                "text": "x",
                "area": w.area.code,
                "owner": "solicitante",
                "due_date": "2027-01-15",
            },
        ),
        "PATCH /api/v1/recommendations/{id}/": Op(
            _s("solicitante", "analista"), data=lambda w: {"status": "in_progress", "note": "x"}
        ),
        "GET /api/v1/reports/monthly/": Op(
            _s(
                "solicitante",
                "jefe",
                "analista",
                "lider",
                "proveedor",
                "auditor",
                "otra_area",
                "otro_proveedor",
            )
        ),
        "GET /api/v1/suppressions/": Op(SIGNED_IN),
        "POST /api/v1/suppressions/": Op(
            _s("analista", "proveedor", "otro_proveedor"),
            data=lambda w: {"channel": "sms", "value": "3001112233", "reason": "x"},
        ),
        "POST /api/v1/suppressions/rne/": Op(
            _s("analista", "proveedor", "otro_proveedor"),
            data=lambda w: {"file": _file("rne.csv", b"celular\n3001112233\n")},
        ),
        "GET /api/v1/suppressions/{id}/": Op(
            _s("analista", "proveedor", "auditor", "otro_proveedor")
        ),
        "GET /api/v1/sweeps/{id}/": Op(SEE),
        "POST /api/v1/sweeps/{id}/{command}/": Op(_s("analista", "proveedor"), data=lambda w: {}),
        "GET /api/v1/templates/{id}/": Op(SEE),
        "PATCH /api/v1/templates/{id}/": Op(SEE, data=lambda w: {"name": "Otra"}),
    }
)


# Expensive answers (charts, documents, the schema, the brief page): their allowed side is
# probed with the first allowed persona only; every refused persona is still probed.
HEAVY_PAGES = {
    "schema", "api_docs", "health", "calls:results", "calls:results_xlsx", "calls:export",
    "calls:interactions", "calls:statement", "calls:interaction_detail", "calls:typification",
    "calls:history", "contacts:base_detail", "contacts:base_progress", "contacts:segments",
    "contacts:segment_count", "reports:campaign", "reports:dashboard", "reports:monthly",
    "campaigns:action", "campaigns:attachment_upload", "campaigns:brief_detail",
    "campaigns:brief_tab", "campaigns:home_panels", "campaigns:brief_list", "content:index",
    "evidence:certificate_issue", "dispatch:sweep_create", "calls:conversations",
    "calls:conversation_detail", "calls:conversation_close", "calls:conversation_reply",
    "accounts:otp_setup", "campaigns:change_file", "content:template_edit",
}  # fmt: skip
HEAVY_API = {
    "POST /api/v1/briefs/{code}/deliver_results/", "GET /api/v1/data-subjects/",
    "POST /api/v1/certificates/", "POST /api/v1/bases/{id}/segments/",
}  # fmt: skip
for _name in HEAVY_PAGES:
    PAGES[_name] = replace(PAGES[_name], heavy=True)
for _key in HEAVY_API:
    API[_key] = replace(API[_key], heavy=True)
