from django.urls import path

from . import views

app_name = "evidence"

urlpatterns: list = [
    path("verificar/<str:code>", views.verify, name="verify"),
    path("certificados/emitir/", views.certificate_issue, name="certificate_issue"),
    path("certificados/<str:code>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("briefs/<str:code>/expediente.zip", views.expediente, name="expediente"),
]
