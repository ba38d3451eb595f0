"""One number per version of a kind in a brief (after 0008 numbered the existing rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0008_number_attachment_versions")]

    operations = [
        migrations.AddConstraint(
            model_name="attachment",
            constraint=models.UniqueConstraint(
                fields=("brief", "kind", "version"), name="attachment_version_per_kind"
            ),
        ),
    ]
