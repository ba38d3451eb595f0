from importlib import import_module

from django.db import migrations

# The same idempotent loader as 0002: adds the default rules that do not exist yet.
create_rules = import_module("brief.core.migrations.0002_default_sla_rules").create_rules


class Migration(migrations.Migration):
    dependencies = [("core", "0002_default_sla_rules")]
    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
