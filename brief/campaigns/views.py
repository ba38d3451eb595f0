"""Placeholder: the UI views are being written."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("pendiente", status=501)


brief_list = board = brief_create = brief_detail = brief_edit = attachment_upload = _todo
attachment_download = f559_pdf = approve = run_action = question_ask = question_answer = _todo
