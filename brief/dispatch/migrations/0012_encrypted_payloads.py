"""Raw provider bodies encrypted at rest (``brief.core.fields``) and the provider ids each kept
callback body mentions (``CallbackReference``), read from the bodies kept so far.

Existing values stay as they are (plain) until ``brief rotate_encryption`` encrypts them, as
files kept before a key was set."""

import django.db.models.deletion
from django.db import migrations, models

import brief.core.fields

CHUNK = 500
LOOKUP = 900  # SQLite's bound parameters per query


def known_ids(apps, account, words: list[str]) -> set[str]:
    """The words that are provider ids of ``account``'s messages, events or replies."""
    Message = apps.get_model("dispatch", "Message")
    StatusEvent = apps.get_model("dispatch", "StatusEvent")
    InboundMessage = apps.get_model("dispatch", "InboundMessage")
    found: set[str] = set()
    for start in range(0, len(words), LOOKUP):
        part = words[start : start + LOOKUP]
        found.update(
            Message.objects.filter(
                provider_message_id__in=part, sweep__provider_account=account
            ).values_list("provider_message_id", flat=True)
        )
        found.update(
            StatusEvent.objects.filter(
                provider=account.code, provider_message_id__in=part
            ).values_list("provider_message_id", flat=True)
        )
        found.update(
            InboundMessage.objects.filter(account=account, provider_message_id__in=part)
            .values_list("provider_message_id", flat=True)
        )
    return found


def index_bodies(apps, schema_editor):
    from brief.dispatch.references import candidate_ids

    ProviderAccount = apps.get_model("dispatch", "ProviderAccount")
    CallbackPayload = apps.get_model("dispatch", "CallbackPayload")
    CallbackReference = apps.get_model("dispatch", "CallbackReference")
    for account in ProviderAccount.objects.all():
        rows = CallbackPayload.objects.filter(account=account).order_by("pk")
        last = 0
        while True:
            chunk = list(rows.filter(pk__gt=last).values_list("pk", "body", "content_type")[:CHUNK])
            if not chunk:
                break
            last = chunk[-1][0]
            words = {pk: candidate_ids(body, content_type) for pk, body, content_type in chunk}
            known = known_ids(apps, account, sorted(set().union(*words.values())))
            CallbackReference.objects.bulk_create(
                [
                    CallbackReference(payload_id=pk, provider_message_id=word)
                    for pk, found in words.items()
                    for word in sorted(found & known)
                ],
                ignore_conflicts=True,
            )


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0011_circuit_breaker"),
    ]

    operations = [
        migrations.AlterField(
            model_name="callbackpayload",
            name="body",
            field=brief.core.fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="raw",
            field=brief.core.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="statusevent",
            name="payload",
            field=brief.core.fields.EncryptedJSONField(default=dict),
        ),
        migrations.CreateModel(
            name="CallbackReference",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("provider_message_id", models.CharField(max_length=120)),
                (
                    "payload",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="references",
                        to="dispatch.callbackpayload",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["provider_message_id"], name="callback_reference_pmid")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("payload", "provider_message_id"),
                        name="callback_reference_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(index_bodies, migrations.RunPython.noop),
    ]
