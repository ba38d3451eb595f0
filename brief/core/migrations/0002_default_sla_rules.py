from django.db import migrations


def create_rules(apps, schema_editor):
    from brief.core.sla import DEFAULT_RULES

    SLARule = apps.get_model("core", "SLARule")
    for spec in DEFAULT_RULES:
        defaults = {k: v for k, v in spec.items() if k != "code"}
        SLARule.objects.get_or_create(code=spec["code"], defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
