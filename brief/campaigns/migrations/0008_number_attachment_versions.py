"""Number existing attachments v1, v2, … per (brief, kind) in upload order; the old
``version`` (the brief's version at upload) moves to ``brief_version``. Every existing file
stays current and is its own series."""

from django.db import migrations


def number(apps, schema_editor):
    Attachment = apps.get_model("campaigns", "Attachment")
    counters: dict[tuple[int, str], int] = {}
    rows = Attachment.objects.order_by("brief_id", "kind", "uploaded_at", "pk")
    for row in rows.only("pk", "brief_id", "kind", "version").iterator():
        key = (row.brief_id, row.kind)
        counters[key] = counters.get(key, 0) + 1
        Attachment.objects.filter(pk=row.pk).update(
            brief_version=row.version, version=counters[key]
        )


def unnumber(apps, schema_editor):
    Attachment = apps.get_model("campaigns", "Attachment")
    for row in Attachment.objects.only("pk", "brief_version").iterator():
        Attachment.objects.filter(pk=row.pk).update(version=row.brief_version)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0007_attachment_versions")]

    operations = [migrations.RunPython(number, unnumber)]
