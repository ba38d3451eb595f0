import brief.reports.models
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0006_alter_notification_kind'),
        ('reports', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='DailyReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='día de ejecución')),
                ('closed_at', models.DateTimeField(verbose_name='cierre del día')),
                ('generated_at', models.DateTimeField(blank=True, null=True, verbose_name='generado')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='enviado')),
                ('file', models.FileField(blank=True, max_length=300, upload_to=brief.reports.models.daily_report_path)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='datos')),
                ('error', models.CharField(blank=True, max_length=300, verbose_name='error al generar')),
                ('recipients', models.PositiveIntegerField(default=0, verbose_name='destinatarios')),
                ('brief', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='daily_reports', to='campaigns.brief')),
            ],
            options={
                'verbose_name': 'reporte diario de ejecución',
                'verbose_name_plural': 'reportes diarios de ejecución',
                'ordering': ['-day', 'brief_id'],
                'constraints': [models.UniqueConstraint(fields=('brief', 'day'), name='daily_report_once_per_day')],
            },
        ),
    ]
