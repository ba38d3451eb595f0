"""PAdES signatures of sending certificates (pyHanko): the signer, signing and checking.

The key and certificate come from ``EVIDENCE_SIGNING_KEY`` / ``EVIDENCE_SIGNING_CERT`` (PEM
paths; ``EVIDENCE_SIGNING_PASSPHRASE`` when the key is encrypted). When both are unset (the
demo, tests) a self-signed pair (ECDSA P-256, ten years) is generated once into
``VAR_DIR/evidence/`` and reused; it proves integrity, not identity, and is replaced by
setting the two paths. The check trusts only the configured certificate: a PDF signed by any
other key (or by a rotated-out one) does not verify.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext

#: Bytes reserved for the CMS signature (no dummy signing pass to estimate it).
SIGNATURE_BYTES = 16384

_lock = threading.Lock()
_signer_cache: dict[tuple, object] = {}


def generated_dir() -> Path:
    return Path(settings.VAR_DIR) / "evidence"


def _generate_pair(folder: Path) -> None:
    """Write ``signing-key.pem`` and ``signing-cert.pem`` into ``folder`` atomically (a
    concurrent generator's pair wins whole or ours does, never half of each)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ICETEX (demostración)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Brief - certificados de envío"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".evidence-", dir=folder.parent))
    (staging / "signing-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(staging / "signing-key.pem", 0o600)
    (staging / "signing-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    try:
        os.rename(staging, folder)
    except OSError:  # another process generated it first: keep theirs
        for leftover in staging.iterdir():
            leftover.unlink()
        staging.rmdir()


def key_paths() -> tuple[Path, Path, bytes | None]:
    """(key, certificate, passphrase) to sign with, generating the demo pair when unset."""
    if settings.EVIDENCE_SIGNING_KEY and settings.EVIDENCE_SIGNING_CERT:
        passphrase = settings.EVIDENCE_SIGNING_PASSPHRASE or ""
        return (
            Path(settings.EVIDENCE_SIGNING_KEY),
            Path(settings.EVIDENCE_SIGNING_CERT),
            passphrase.encode() or None,
        )
    folder = generated_dir() / "demo-signing"
    if not (folder / "signing-cert.pem").exists():
        _generate_pair(folder)
    return folder / "signing-key.pem", folder / "signing-cert.pem", None


def signer():
    """The pyHanko signer of the configured pair, loaded once per process and file version."""
    from pyhanko.sign import signers

    key, cert, passphrase = key_paths()
    stamp = (str(key), str(cert), key.stat().st_mtime_ns, cert.stat().st_mtime_ns)
    with _lock:
        cached = _signer_cache.get(stamp)
        if cached is None:
            cached = signers.SimpleSigner.load(str(key), str(cert), key_passphrase=passphrase)
            if cached is None:
                raise RuntimeError("The evidence signing key or certificate could not be read")
            _signer_cache.clear()
            _signer_cache[stamp] = cached
    return cached


def trusted_certificate():
    """The certificate signatures must come from (asn1crypto form)."""
    return signer().signing_cert  # type: ignore[attr-defined]


def sign_pdf(
    data: bytes,
    *,
    field_name: str,
    reason: str,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> bytes:
    """``data`` (an unsigned PDF) signed PAdES baseline B in the signature field
    ``field_name`` (the certificate's code, so a verifier finds it in the file), with
    ``attachments`` ``(name, bytes, mime type)`` embedded first so the signature covers them."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    for name, content, mime in attachments:
        stream = embed.EmbeddedFileObject.from_file_data(
            writer, data=content, compress=True, mime_type=mime
        )
        embed.embed_file(
            writer, embed.FileSpec(file_spec_string=name, file_name=name, embedded_data=stream)
        )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        name="Brief",
    )
    out = signers.sign_pdf(writer, meta, signer=signer(), bytes_reserved=SIGNATURE_BYTES)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """What the PDF's signature says: ``ok`` and, when not, the Spanish ``reason``; ``field``
    is the name of the signature field (the certificate's code), when there is one."""

    ok: bool
    field: str = ""
    reason: str = ""


def check_signature(data: bytes) -> SignatureCheck:
    """Whether ``data`` carries one intact PAdES signature by the configured certificate that
    covers the whole file. Never raises for a bad file: the answer says why it fails."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # pyHanko raises many kinds for a broken file
        return SignatureCheck(False, reason=gettext("El PDF está dañado o no se puede leer."))
    if not signatures:
        return SignatureCheck(False, reason=gettext("El PDF no tiene firma digital."))
    embedded = signatures[0]
    field = str(embedded.field_name or "")
    if len(signatures) > 1:
        return SignatureCheck(
            False, field, gettext("El PDF tiene más de una firma: no es el documento emitido.")
        )
    trusted = trusted_certificate()
    try:
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[trusted]))
    except Exception:
        return SignatureCheck(
            False,
            field,
            gettext("La firma digital no corresponde al contenido: el archivo fue modificado."),
        )
    if not (status.intact and status.valid):
        return SignatureCheck(
            False,
            field,
            gettext("La firma digital no corresponde al contenido: el archivo fue modificado."),
        )
    if status.signing_cert.sha256 != trusted.sha256 or not status.trusted:
        return SignatureCheck(
            False, field, gettext("El PDF no fue firmado con el certificado de Brief.")
        )
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SignatureCheck(
            False, field, gettext("El PDF tiene contenido agregado después de la firma.")
        )
    return SignatureCheck(True, field)
