"""Model fields whose values are encrypted at rest (``brief.core.crypto``): raw provider
bodies, which carry phone numbers, addresses and what people wrote.

The column holds text: ``brfenc1:…`` when keys are configured, the value as it is otherwise
(and for rows stored before a key was set, until ``brief rotate_encryption``). The model reads
the plaintext back; a value altered in the database raises
:class:`~brief.core.crypto.AlteredValue` (409). Lookups on these columns compare ciphertext and
find nothing: search through a plain column beside them (``CallbackReference``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

from . import crypto


class EncryptedTextField(models.TextField):
    """A ``TextField`` kept encrypted, bound to its column (``app.Model.field``)."""

    def context(self) -> bytes:
        return f"{self.model._meta.label}.{self.name}".encode()

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.seal_text(value, self.context())

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return crypto.open_text(value, self.context())


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (a provider's raw item) kept encrypted as its JSON text."""

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return super().get_prep_value(json.dumps(value, ensure_ascii=False))

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return None if text is None else json.loads(text)

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


def encrypted_fields() -> list[EncryptedTextField]:
    """Every encrypted field of the installed models (what ``rotate_encryption`` walks)."""
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField)
    ]


@dataclass
class ValueRotation:
    rewritten: int = 0
    current: int = 0
    altered: int = 0


def rotate_values(chunk: int = 1000) -> ValueRotation:
    """Re-encrypt every encrypted column's value not yet under the first key (plain ones
    included), a chunk of rows per transaction; a value that cannot be decrypted (altered, or
    its key is gone) is left as it is and counted."""
    current = crypto.keys()[0]
    done = ValueRotation()
    for field in encrypted_fields():
        model = field.model
        table, column = model._meta.db_table, field.column
        pk = model._meta.pk.column  # type: ignore[union-attr]
        select = (
            f"SELECT {pk}, {column} FROM {table} WHERE {pk} > %s AND {column} IS NOT NULL "
            f"ORDER BY {pk} LIMIT {int(chunk)}"
        )
        update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s"
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [last if last is not None else _lowest(model)])
                rows = cursor.fetchall()
                changes = []
                for key, stored in rows:
                    if crypto.text_key_id(stored) == current.id:
                        done.current += 1
                        continue
                    try:
                        plain = crypto.open_text(stored, field.context())
                    except crypto.AlteredValue:
                        done.altered += 1
                        continue
                    changes.append((crypto.seal_text(plain, field.context(), current), key, stored))
                cursor.executemany(update, changes)
                done.rewritten += len(changes)
            if len(rows) < chunk:
                break
            last = rows[-1][0]
    return done


def _lowest(model) -> Any:
    return -1 if isinstance(model._meta.pk, models.IntegerField) else ""
