"""Bulk import of interactions and recordings from a provider's dialer: validated whole,
all rows or none with a Spanish report per row, idempotent by the dialer's ID, and a ZIP
that is never trusted."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import stat
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from brief.calls import actions, imports
from brief.calls.models import Interaction, InteractionImport, Recording
from brief.core.exceptions import Forbidden
from brief.core.models import AuditEvent
from tests.calls.conftest import with_survey
from tests.helpers import upload

AUDIO = b"ID3\x03\x00" + b"\x01" * 200
SCREEN = b"\x1aE\xdf\xa3" + b"\x02" * 200
HEADER = (
    "ID interacción,Documento,Asesor,Inicio,Fin,Tipificación,Observaciones,Estado proveedor,"
    "Grabación audio,Grabación pantalla,respuesta_satisfaccion\n"
)
GOOD_ROWS = [
    "D-100,1020304050,asesor,2026-12-04 09:15,2026-12-04 09:17:30,CD0101,Pagará el lunes,"
    "answered,d100.mp3,d100.webm,5",
    # recordings matched by the ID (D-200.mp3, D-200-pantalla.webm); typified by its path
    "D-200,79888777,asesor,04/12/2026 10:00,,No contacto › No contesta,,no-answer,,,",
]


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# The script's one question (optional), answered in the column respuesta_satisfaccion.
SATISFACTION = [
    {"key": "satisfaccion", "text": "¿Qué tan satisfecho está?", "kind": "csat", "required": False}
]

RECORDINGS = {
    "d100.mp3": AUDIO,
    "d100.webm": SCREEN,
    "grabaciones/D-200.mp3": AUDIO + b"2",
    "grabaciones/D-200-pantalla.webm": SCREEN + b"2",
}


@pytest.fixture
def run(django_capture_on_commit_callbacks, call_campaign, proveedor):
    """``run(csv_bytes, zip_bytes=None)`` starts an import into the call brief and runs its
    task (eager) on commit; returns the finished import."""
    brief = with_survey(call_campaign[0], SATISFACTION)

    def go(data: bytes, archive: bytes | None = None, *, name="marcador.csv", chosen=brief):
        with django_capture_on_commit_callbacks(execute=True):
            job = actions.start_interaction_import(
                actor=proveedor,
                upload=upload(name, data),
                recordings=upload("grabaciones.zip", archive) if archive is not None else None,
                brief=chosen,
            )
        job.refresh_from_db()
        return job

    return go


def test_a_good_file_is_stored_with_its_recordings(run, call_campaign, asesor):
    brief, contacts, leaf = call_campaign
    # when the provider imports two calls and the ZIP of their recordings
    job = run(_csv(*GOOD_ROWS), _zip(RECORDINGS))
    # then both are stored, typified, with their contacts, advisor, answers and recordings
    assert (job.status, job.errors) == ("done", [])
    assert (job.rows_total, job.created, job.updated, job.recordings_stored) == (2, 2, 0, 4)
    first = Interaction.objects.get(brief=brief, external_id="D-100")
    assert (first.contact, first.advisor, first.typification) == (contacts[0], asesor, leaf)
    assert first.answers == {"satisfaccion": 5}
    assert (first.ended_at - first.started_at).total_seconds() == 150
    assert (first.billable, first.exclusions) == (True, [])
    second = Interaction.objects.get(brief=brief, external_id="D-200")
    assert second.typification.code == "NC01"
    assert second.billable is True
    audio = Recording.objects.get(interaction=second, kind="audio")
    assert audio.sha256 == hashlib.sha256(AUDIO + b"2").hexdigest()
    with audio.file.open("rb") as handle:
        assert handle.read() == AUDIO + b"2"
    # the observations went back to the contact, and the import is audit-logged
    contacts[0].refresh_from_db()
    assert contacts[0].observations.endswith("Pagará el lunes")
    assert AuditEvent.objects.get(type="INTERACTIONS_IMPORTED").details["created"] == 2


def test_reimporting_updates_and_skips_the_same_recordings(run, call_campaign):
    brief = call_campaign[0]
    run(_csv(*GOOD_ROWS), _zip(RECORDINGS))
    # when the same file comes again, with one observation changed
    rows = [GOOD_ROWS[0].replace("Pagará el lunes", "Pagó"), GOOD_ROWS[1]]
    job = run(_csv(*rows), _zip(RECORDINGS))
    # then the two interactions are updated, not duplicated, and no recording is stored again
    assert (job.status, job.created, job.updated, job.recordings_stored) == ("done", 0, 2, 0)
    assert Interaction.objects.filter(brief=brief).count() == 2
    assert Interaction.objects.get(external_id="D-100").observations == "Pagó"
    assert Recording.objects.count() == 4


def test_a_file_with_bad_rows_stores_nothing_and_reports_each(run):
    rows = [
        *GOOD_ROWS,
        "D-300,1020304050,asesor,2026-12-04 11:00,,ZZ99,,answered,,,",
        "D-400,5555,asesor,mañana,,CD0101,,answered,falta.mp3,,",
        "D-100,79888777,nadie,2026-12-04 12:00,2026-12-04 11:00,CD0101,,,,,",
    ]
    job = run(_csv(*rows), _zip(RECORDINGS))
    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (4, "tipificacion"),
        (5, "documento"),
        (5, "grabacion audio"),
        (5, "inicio"),
        (6, "id interaccion"),  # D-100 is already in row 2
    ]
    assert job.errors[0]["message"] == (
        f"«ZZ99» no es una tipificación final del brief {job.brief.code}."
    )
    assert job.errors[4]["message"] == "El ID «D-100» ya está en la fila 2."
    assert not Interaction.objects.exists()
    assert not Recording.objects.exists()
    assert AuditEvent.objects.filter(type="INTERACTION_IMPORT_REFUSED").count() == 1


def test_the_action_checks_are_reported_per_row(run):
    # the advisor is not the provider's and the end comes before the start: the write
    # path's own checks, reported on the row before anything is written
    job = run(_csv("D-9,1020304050,nadie,2026-12-04 12:00,2026-12-04 11:00,CD0101,,,,,"))
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {(2, "asesor"), (2, "fin")}
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.mp3", "/abs/d100.mp3", "C:/win/d100.mp3", "a\\..\\b.mp3"],
)
def test_a_zip_with_a_path_outside_is_refused(run, name):
    job = run(_csv(*GOOD_ROWS), _zip({**RECORDINGS, name: AUDIO}))
    assert job.status == "failed"
    assert job.errors[0]["column"] == "archivo ZIP"
    assert "ruta no permitida" in job.errors[0]["message"]
    assert not Interaction.objects.exists()


def test_a_zip_with_a_link_is_refused(run):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("d100.mp3")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    job = run(_csv(*GOOD_ROWS), buffer.getvalue())
    assert job.status == "failed"
    assert "enlaces" in job.errors[0]["message"]


def test_a_zip_bomb_is_stopped_by_the_bytes_inflated(run, settings):
    # given a recording that inflates past the upload limit (declared honestly or not)
    settings.BRIEF_MAX_UPLOAD_BYTES = 64 * 1024
    bomb = _zip({**RECORDINGS, "d100.mp3": b"ID3" + b"\x00" * (1024 * 1024)})
    assert len(bomb) < 16 * 1024
    job = run(_csv(*GOOD_ROWS), bomb)
    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "grabacion audio")]
    assert "al descomprimirlo" in job.errors[0]["message"]
    assert not Interaction.objects.exists()


def test_the_whole_archive_has_an_inflation_cap(run, monkeypatch):
    monkeypatch.setattr(imports, "MAX_INFLATED_BYTES", 300)
    job = run(_csv(*GOOD_ROWS), _zip(RECORDINGS))
    assert job.status == "failed"
    assert job.errors[0]["column"] == "archivo ZIP"
    assert not Interaction.objects.exists()


def test_too_many_entries_or_not_a_zip(run, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ZIP_ENTRIES", 3)
    job = run(_csv(*GOOD_ROWS), _zip(RECORDINGS))
    assert job.status == "failed"
    assert "máximo es 3" in job.errors[0]["message"]
    broken = run(_csv(*GOOD_ROWS), b"PK\x03\x04" + b"\x00" * 100)
    assert broken.status == "failed"
    assert broken.errors[0]["column"] == "archivo ZIP"


def test_a_lying_entry_size_is_not_a_500(run):
    archive = bytearray(_zip(RECORDINGS))
    # shrink the declared size of the first entry in the central directory
    at = archive.find(b"PK\x01\x02")
    archive[at + 24 : at + 28] = (10).to_bytes(4, "little")
    job = run(_csv(*GOOD_ROWS), bytes(archive))
    assert job.status == "failed"
    assert not Interaction.objects.exists()


def test_only_the_providers_director_imports(call_campaign, asesor, other_provider_user):
    brief = call_campaign[0]
    for user in (asesor, other_provider_user):
        with pytest.raises(Forbidden):
            actions.start_interaction_import(
                actor=user, upload=upload("x.csv", _csv(*GOOD_ROWS)), brief=brief
            )
    assert not InteractionImport.objects.exists()


def test_a_brief_of_another_provider_is_a_row_error(run):
    header = HEADER.replace("ID interacción,", "ID interacción,Brief,")
    data = (header + "D-1,BRF-2099-0001," + GOOD_ROWS[1].split(",", 1)[1] + "\n").encode()
    job = run(data, chosen=None)
    assert job.status == "failed"
    assert (job.errors[0]["row"], job.errors[0]["column"]) == (2, "brief")


def test_api_and_pages(api, client, call_campaign, proveedor, django_capture_on_commit_callbacks):
    brief = with_survey(call_campaign[0], SATISFACTION)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(proveedor).post(
            reverse("api:interaction_imports"),
            {
                "file": upload("marcador.csv", _csv(*GOOD_ROWS)),
                "recordings": upload("g.zip", _zip(RECORDINGS)),
                "brief": brief.code,
            },
            format="multipart",
        )
    assert response.status_code == 202
    pk = response.json()["id"]
    status = api.get(reverse("api:interaction_import", args=[pk])).json()
    assert (status["status"], status["created"]) == ("done", 2)
    # the status page and the upload page
    client.force_login(proveedor)
    page = client.get(reverse("calls:import_detail", args=[pk]))
    assert "2 interacciones nuevas" in page.content.decode()
    assert client.get(reverse("calls:import")).status_code == 200
    bad = client.post(
        reverse("calls:import"), {"file": upload("x.pdf", b"%PDF-1.4"), "brief": brief.code}
    )
    assert bad.status_code == 400
    assert InteractionImport.objects.count() == 1


def test_an_import_whose_worker_died_is_failed_later(call_campaign, proveedor):
    # given an import left running by a worker that died
    job = InteractionImport.objects.create(
        provider=proveedor.provider,
        file="calls/imports/x.csv",
        source_name="x.csv",
        created_by=proveedor,
        status="running",
        started_at=timezone.now() - dt.timedelta(hours=7),
    )
    fresh = InteractionImport.objects.create(
        provider=proveedor.provider,
        file="calls/imports/y.csv",
        source_name="y.csv",
        created_by=proveedor,
        status="running",
        started_at=timezone.now(),
    )
    # when the reaper runs, then only the old one is failed, with a reason
    assert actions.reap_stale_imports() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert (job.status, fresh.status) == ("failed", "running")
    assert "se interrumpió" in job.errors[0]["message"]


def test_an_answer_the_script_refuses_is_reported_in_its_column(run):
    job = run(_csv(GOOD_ROWS[0].replace(",5", ",11"), GOOD_ROWS[1]), _zip(RECORDINGS))
    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "respuesta_satisfaccion")]
    assert not Interaction.objects.exists()
