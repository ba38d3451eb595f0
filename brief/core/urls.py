from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("auditoria/", views.audit_list, name="audit_list"),
    path("auditoria/exportar/", views.audit_export, name="audit_export"),
    path("favicon.ico", views.favicon, name="favicon"),
]
