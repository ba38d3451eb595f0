from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    # --- CRM export, bulk import, billing statement ---
    path("interacciones/importar/", views.import_page, name="import"),
    path("interacciones/importaciones/<int:pk>/", views.import_detail, name="import_detail"),
    path("interacciones/exportar/", views.export_page, name="export"),
    path("interacciones/formatos-crm/nuevo/", views.layout_edit, name="layout_add"),
    path("interacciones/formatos-crm/<int:pk>/", views.layout_edit, name="layout_edit"),
    path(
        "interacciones/formatos-crm/<int:pk>/eliminar/", views.layout_delete, name="layout_delete"
    ),
    path("facturacion/estado-de-cuenta/", views.statement_page, name="statement"),
    # --- end ---
    path("briefs/<str:code>/centro-contacto/", views.brief_panel, name="brief_panel"),
    path("briefs/<str:code>/interacciones/", views.interactions, name="interactions"),
    # --- figures ---
    path("briefs/<str:code>/centro-contacto/resultados/", views.results, name="results"),
    path(
        "briefs/<str:code>/centro-contacto/resultados.xlsx",
        views.results_xlsx,
        name="results_xlsx",
    ),
    path("interacciones/<str:code>/", views.interaction_detail, name="interaction_detail"),
    path(
        "interacciones/<str:code>/grabaciones/<str:kind>/",
        views.recording_download,
        name="recording_download",
    ),
    path("briefs/<str:code>/asesores/asignar/", views.advisor_assign, name="advisor_assign"),
    path("briefs/<str:code>/asesores/retirar/", views.advisor_unassign, name="advisor_unassign"),
    path("briefs/<str:code>/tipificacion/", views.typification_page, name="typification"),
    path("briefs/<str:code>/tipificacion/nodos/", views.typification_add, name="typification_add"),
    path(
        "briefs/<str:code>/tipificacion/nodos/<int:pk>/",
        views.typification_node,
        name="typification_node",
    ),
    path(
        "briefs/<str:code>/tipificacion/nodos/<int:pk>/eliminar/",
        views.typification_delete,
        name="typification_delete",
    ),
    path(
        "briefs/<str:code>/tipificacion/importar/",
        views.typification_import,
        name="typification_import",
    ),
    path(
        "briefs/<str:code>/tipificacion/por-defecto/",
        views.typification_default,
        name="typification_default",
    ),
    # --- beneficiary history ---
    path("consulta/", views.history_page, name="history"),
    # --- conversations and cases ---
    path("conversaciones/", views.conversation_inbox, name="conversations"),
    path("conversaciones/<int:pk>/", views.conversation_detail, name="conversation_detail"),
    path("conversaciones/<int:pk>/responder/", views.conversation_reply, name="conversation_reply"),
    path("conversaciones/<int:pk>/cerrar/", views.conversation_close, name="conversation_close"),
    path("casos/", views.case_list, name="cases"),
    path("casos/<str:code>/", views.case_detail, name="case_detail"),
    path("casos/<str:code>/anotar/", views.case_annotate, name="case_annotate"),
    path("casos/<str:code>/cerrar/", views.case_close, name="case_close"),
    # --- workbench ---
    path("puesto/", views.workbench_home, name="workbench_home"),
    path("puesto/<str:code>/", views.workbench, name="workbench"),
    path("puesto/<str:code>/cifras/", views.workbench_figures, name="workbench_figures"),
    path("puesto/<str:code>/siguiente/", views.workbench_next, name="workbench_next"),
    path("puesto/<str:code>/gestion/<int:pk>/", views.workbench_work, name="workbench_work"),
    path(
        "puesto/<str:code>/gestion/<int:pk>/historial/",
        views.workbench_history,
        name="workbench_history",
    ),
    path(
        "puesto/<str:code>/gestion/<int:pk>/liberar/",
        views.workbench_release,
        name="workbench_release",
    ),
]
