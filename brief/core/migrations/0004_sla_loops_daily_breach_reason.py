from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The same idempotent loader as 0002: adds the results loops' and the daily report's rules.
create_rules = import_module("brief.core.migrations.0002_default_sla_rules").create_rules


def review_stops_on_either_outcome(apps, schema_editor):
    """OCM's results review ends when OCM sends the results or returns them: the rule stops on
    ``brief.results_reviewed`` (emitted by both) unless an admin already changed it."""
    SLARule = apps.get_model("core", "SLARule")
    SLARule.objects.filter(
        code="revision-resultados-ocm", stop_event="brief.results_sent"
    ).update(stop_event="brief.results_reviewed")


def review_stops_on_sending(apps, schema_editor):
    SLARule = apps.get_model("core", "SLARule")
    SLARule.objects.filter(
        code="revision-resultados-ocm", stop_event="brief.results_reviewed"
    ).update(stop_event="brief.results_sent")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_provider_questions_rule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='slaclock',
            name='breach_reason',
            field=models.TextField(blank=True, default='', verbose_name='motivo del incumplimiento'),
        ),
        migrations.AddField(
            model_name='slaclock',
            name='breach_reason_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='motivo registrado'),
        ),
        migrations.AddField(
            model_name='slaclock',
            name='breach_reason_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(create_rules, migrations.RunPython.noop),
        migrations.RunPython(review_stops_on_either_outcome, review_stops_on_sending),
    ]
