from django.urls import path

from . import views

app_name = "content"

urlpatterns = [
    path("briefs/<str:code>/contenido/", views.content_index, name="index"),
    path("briefs/<str:code>/contenido/plantillas/nueva/", views.template_new, name="template_new"),
    path(
        "briefs/<str:code>/contenido/plantillas/<int:pk>/",
        views.template_edit,
        name="template_edit",
    ),
    path(
        "briefs/<str:code>/contenido/vista-previa/",
        views.template_preview,
        name="template_preview",
    ),
    path(
        "briefs/<str:code>/contenido/vista-previa/correo/<str:token>/",
        views.mail_preview,
        name="mail_preview",
    ),
    path("briefs/<str:code>/contenido/piezas/", views.creative_upload, name="creative_upload"),
    path(
        "briefs/<str:code>/contenido/piezas/<int:pk>/",
        views.creative_download,
        name="creative_download",
    ),
    path("l/<str:token>", views.link_open, name="link_open"),
    path("pieza/<str:token>/", views.creative_public, name="creative_public"),
]
