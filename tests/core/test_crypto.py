"""Encryption at rest: the chunked AES-GCM format, the file store, imports and downloads of
encrypted files, key rotation (the suite runs with a test key: brief.test_settings)."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from brief.campaigns.models import Attachment
from brief.contacts.choices import BaseStatus
from brief.contacts.models import Contact
from brief.core import crypto
from brief.core.storage import local_copy, rotate_files

OTHER_KEY = crypto.new_key()


def _seal(data: bytes, key=None) -> bytes:
    return b"".join(crypto.encrypt_stream(iter([data]), key))


def _open(blob: bytes) -> bytes:
    return b"".join(crypto.decrypt_stream(io.BytesIO(blob)))


@pytest.mark.parametrize("size", [0, 1, crypto.CHUNK - 1, crypto.CHUNK, crypto.CHUNK + 1, 200_000])
def test_round_trip_and_sizes(size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    sealed = _seal(data)
    assert sealed.startswith(crypto.MAGIC)
    if size >= 64:
        assert data[:64] not in sealed
    assert _open(sealed) == data
    assert crypto.plain_size(len(sealed)) == size


def test_a_changed_byte_a_cut_or_a_dropped_chunk_is_refused():
    data = b"cedula;nombre\n" * 20_000  # several chunks
    sealed = bytearray(_seal(data))
    flipped = bytes(sealed[:100]) + bytes([sealed[100] ^ 1]) + bytes(sealed[101:])
    with pytest.raises(crypto.DecryptionError):
        _open(flipped)
    with pytest.raises(crypto.DecryptionError):
        _open(bytes(sealed[: -(crypto.CHUNK // 2)]))  # cut inside the last chunk
    header = len(crypto.MAGIC) + 16
    block = crypto.CHUNK + crypto.TAG
    without_first = bytes(sealed[:header]) + bytes(sealed[header + block :])
    with pytest.raises(crypto.DecryptionError):
        _open(without_first)
    with pytest.raises(crypto.DecryptionError):
        _open(bytes(sealed[: header + block]))  # whole chunks dropped from the end


def test_stored_files_are_ciphertext_on_disk_and_plain_through_the_store():
    data = b"documento,celular\n1020304050,3001234567\n" * 1000
    name = default_storage.save("pruebas/base.csv", ContentFile(data))
    with open(default_storage.path(name), "rb") as raw:
        on_disk = raw.read()
    assert on_disk.startswith(crypto.MAGIC)
    assert b"3001234567" not in on_disk
    with default_storage.open(name) as handle:
        assert handle.read() == data
    assert default_storage.size(name) == len(data)
    with local_copy(default_storage.path(name)) as path:
        assert path.read_bytes() == data
    default_storage.delete(name)


def test_an_uploaded_base_is_encrypted_imported_and_downloaded(client, campaign, solicitante):
    # given a base uploaded and imported through the usual path (the ``campaign`` fixture)
    brief, base, _templates = campaign(n=5)
    attachment = Attachment.objects.get(pk=base.attachment_id)
    with open(attachment.file.path, "rb") as raw:
        assert raw.read(len(crypto.MAGIC)) == crypto.MAGIC
    # then the import read the plaintext
    assert base.status == BaseStatus.READY
    assert Contact.objects.filter(base=base).count() == 5
    # and the download gives the original bytes with the stored digest
    client.force_login(solicitante)
    response = client.get(
        reverse("campaigns:attachment_download", args=[brief.code, attachment.pk])
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == attachment.sha256
    assert body.startswith(b"documento,")


def test_rotation_moves_every_file_to_the_new_key(settings, make_brief, solicitante):
    # given a file stored before encryption was on and one under the current key, both
    # referred to by attachments
    old = settings.BRIEF_ENCRYPTION_KEYS
    data = b"grabacion" * 5000
    settings.BRIEF_ENCRYPTION_KEYS = ""
    plain_name = default_storage.save("pruebas/plano.bin", ContentFile(b"sin cifrar"))
    settings.BRIEF_ENCRYPTION_KEYS = old
    name = default_storage.save("pruebas/viejo.bin", ContentFile(data))
    brief = make_brief()
    for stored in (name, plain_name):
        Attachment.objects.create(
            brief=brief, kind="base", file=stored, original_name=stored, size=1, sha256="",
            uploaded_by=solicitante,
        )  # fmt: skip
    # when a new key is put first and the files are rotated
    settings.BRIEF_ENCRYPTION_KEYS = f"{OTHER_KEY},{old}"
    new_id = crypto.keys()[0].id
    done = rotate_files()
    # then every file (the brief's own attachments too) is under the new key
    assert done.rewritten == Attachment.objects.filter(brief=brief).count()
    assert done.current == 0
    for stored in (name, plain_name):
        with open(default_storage.path(stored), "rb") as raw:
            assert raw.read(len(crypto.MAGIC) + 8) == crypto.MAGIC + new_id
    assert rotate_files().rewritten == 0  # nothing left to do
    settings.BRIEF_ENCRYPTION_KEYS = OTHER_KEY  # the old key can now be dropped
    with default_storage.open(name) as handle:
        assert handle.read() == data
    with default_storage.open(plain_name) as handle:
        assert handle.read() == b"sin cifrar"
    settings.BRIEF_ENCRYPTION_KEYS = old  # a store without the new key cannot read it
    with pytest.raises(crypto.DecryptionError):
        default_storage.open(name)


def test_rotate_command_needs_keys(settings):
    settings.BRIEF_ENCRYPTION_KEYS = ""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rotate_encryption")


def test_deploy_check_warns_without_keys(settings):
    from django.core import checks

    settings.BRIEF_ENCRYPTION_KEYS = ""
    found = [m.id for m in checks.run_checks(include_deployment_checks=True)]
    assert "brief.W010" in found
    settings.BRIEF_ENCRYPTION_KEYS = crypto.new_key()
    assert "brief.W010" not in [m.id for m in checks.run_checks(include_deployment_checks=True)]
