from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("briefs/", views.brief_list, name="brief_list"),
    path("briefs/exportar/", views.brief_export, name="brief_export"),
    path("briefs/tablero/", views.board, name="board"),
    path("briefs/tablero/exportar/", views.board_export, name="board_export"),
    path("briefs/nuevo/", views.brief_create, name="brief_create"),
    path("briefs/resumen/", views.home_panels, name="home_panels"),
    path("briefs/<str:code>/", views.brief_detail, name="brief_detail"),
    path("briefs/<str:code>/pestana/<str:tab>/", views.brief_tab, name="brief_tab"),
    path("briefs/<str:code>/editar/", views.brief_edit, name="brief_edit"),
    path("briefs/<str:code>/adjuntos/", views.attachment_upload, name="attachment_upload"),
    path(
        "briefs/<str:code>/adjuntos/<int:pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "briefs/<str:code>/adjuntos/<int:pk>/reemplazar/",
        views.attachment_replace,
        name="attachment_replace",
    ),
    path(
        "briefs/<str:code>/adjuntos/<int:pk>/vigente/",
        views.attachment_mark_current,
        name="attachment_mark_current",
    ),
    path(
        "briefs/<str:code>/adjuntos/<int:pk>/retirar/",
        views.attachment_withdraw,
        name="attachment_withdraw",
    ),
    path(
        "briefs/<str:code>/adjuntos/<int:pk>/verificar/",
        views.attachment_verify,
        name="attachment_verify",
    ),
    path("briefs/<str:code>/f559/<int:number>.pdf", views.f559_pdf, name="f559_pdf"),
    path("briefs/<str:code>/aval/<str:which>/", views.approve, name="approve"),
    path(
        "briefs/<str:code>/aval/<str:which>/rechazar/",
        views.approval_refuse,
        name="approval_refuse",
    ),
    path(
        "briefs/<str:code>/aval/<str:which>/pedir/", views.approval_request, name="approval_request"
    ),
    path("briefs/<str:code>/accion/<str:action>/", views.run_action, name="action"),
    path("briefs/<str:code>/preguntas/", views.question_ask, name="question_ask"),
    path(
        "briefs/<str:code>/preguntas/<int:pk>/respuesta/",
        views.question_answer,
        name="question_answer",
    ),
    path("briefs/<str:code>/cambios/", views.change_file, name="change_file"),
    path(
        "briefs/<str:code>/cambios/<int:number>/acuse/",
        views.change_acknowledge,
        name="change_acknowledge",
    ),
    path(
        "briefs/<str:code>/cambios/<int:number>/<str:decision>/",
        views.change_decide,
        name="change_decide",
    ),
    path("avisos/", views.notification_list, name="notifications"),
    path("avisos/leidos/", views.notifications_read_all, name="notifications_read_all"),
    path("avisos/resumen/", views.notification_digest, name="notification_digest"),
    path("avisos/<int:pk>/leido/", views.notification_read, name="notification_read"),
    path("briefs/<str:code>/inicio/", views.kickoff_record, name="kickoff_record"),
    path("briefs/<str:code>/capacitaciones/", views.training_record, name="training_record"),
]
