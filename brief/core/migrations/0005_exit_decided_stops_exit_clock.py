from django.db import migrations


def exit_clock_stops_on_either_decision(apps, schema_editor):
    """The exit approval clock ends when ICETEX approves or refuses the exit: the rule stops on
    ``brief.exit_decided`` (emitted by both) unless an admin already changed it."""
    SLARule = apps.get_model("core", "SLARule")
    SLARule.objects.filter(code="aprobacion-salida", stop_event="brief.exit_approved").update(
        stop_event="brief.exit_decided"
    )


def exit_clock_stops_on_approval(apps, schema_editor):
    SLARule = apps.get_model("core", "SLARule")
    SLARule.objects.filter(code="aprobacion-salida", stop_event="brief.exit_decided").update(
        stop_event="brief.exit_approved"
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0004_sla_loops_daily_breach_reason")]
    operations = [
        migrations.RunPython(exit_clock_stops_on_either_decision, exit_clock_stops_on_approval)
    ]
