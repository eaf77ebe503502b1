"""Certificate files loaded the way containerd loads them, and why the load fails.

``ConfigureHosts`` (``remotes/docker/config/hosts.go``, v1.6.20; the same in 2.x) builds the
TLS configuration of every host that names a ``ca`` or ``client`` file, whatever the URL's
scheme (``http://`` hosts too), before any request is made; one failure there is returned as
the error of the pull, with no fallback to another host:

- ``ca``: ``os.ReadFile``, then ``CertPool.AppendCertsFromPEM``, which succeeds when at least
  one PEM block of type ``CERTIFICATE`` (and without headers) holds a certificate Go's
  ``x509.ParseCertificate`` accepts ("unable to load CA cert");
- ``client``: ``tls.X509KeyPair(cert, key)`` (the key read from the certificate file when no
  key file is named): every ``CERTIFICATE`` block of the first file, the first block whose type
  ends in ``PRIVATE KEY`` of the second, a PKCS #1, PKCS #8 or SEC 1 key of type RSA, ECDSA or
  Ed25519, matching the leaf certificate's public key ("failed to load X509 key pair").

PEM blocks are found as Go's ``encoding/pem.Decode`` finds them (``-----BEGIN TYPE-----`` at
the start of a line, the matching ``-----END TYPE-----``, base64 body; a block that does not
decode is skipped). The ``cryptography`` package parses the DER; it is imported only when a
certificate file is named.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from analyzer.regular_file import read_problem, read_regular_file

_PEM_RE = re.compile(
    rb"(?:\A|\n)-----BEGIN ([^\n]*?)-----[ \t\r]*\n(.*?)\n-----END \1-----", re.DOTALL
)
_HEADER_RE = re.compile(rb"^[^:\n]+:[^\n]*$", re.MULTILINE)


@dataclass(frozen=True)
class PemBlock:
    type: str
    headers: bool
    der: bytes


def pem_blocks(data: bytes) -> list[PemBlock]:
    """The PEM blocks ``pem.Decode`` would return, in order (undecodable ones skipped)."""
    blocks: list[PemBlock] = []
    for match in _PEM_RE.finditer(data):
        body = match.group(2)
        headers = False
        head, sep, rest = body.partition(b"\n\n")
        if sep and all(_HEADER_RE.match(line) for line in head.splitlines() if line.strip()):
            headers, body = True, rest
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        blocks.append(PemBlock(match.group(1).decode("latin-1"), headers, der))
    return blocks


def _x509() -> Any:
    from cryptography import x509

    return x509


def _parse_certificate(der: bytes) -> Any | None:
    try:
        return _x509().load_der_x509_certificate(der)
    except ValueError:
        return None


def _read(path: str) -> bytes | str:
    try:
        return read_regular_file(path)  # a FIFO named as the ca file must not hang us
    except OSError as exc:
        return read_problem(exc)


def ca_problem(path: str) -> str | None:
    """Why containerd cannot load ``path`` as a CA file, or None when it can."""
    data = _read(path)
    if isinstance(data, str):
        return f"unable to read CA cert {path}: {data}"
    for block in pem_blocks(data):
        if block.type == "CERTIFICATE" and not block.headers and _parse_certificate(block.der):
            return None
    return f"unable to load CA cert {path}: no PEM certificate in it"


def _private_key(der: bytes) -> Any | str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    try:
        key = load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        return "the private key cannot be parsed"
    if not isinstance(
        key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)
    ):
        return "unknown private key type"
    return key


def key_pair_problem(cert_path: str, key_path: str | None) -> str | None:
    """Why ``tls.X509KeyPair`` fails for this pair (``key_path`` None: the key is read from
    the certificate file), or None when it succeeds."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert_data = _read(cert_path)
    if isinstance(cert_data, str):
        return f"unable to read CERT file {cert_path}: {cert_data}"
    key_data = cert_data if key_path is None else _read(key_path)
    if isinstance(key_data, str):
        return f"unable to read CERT file {key_path}: {key_data}"
    certificates = [b for b in pem_blocks(cert_data) if b.type == "CERTIFICATE"]
    prefix = f"failed to load X509 key pair {cert_path}" + (f" + {key_path}" if key_path else "")
    if not certificates:
        return f"{prefix}: no certificate PEM data in the certificate file"
    key_block = next(
        (
            b
            for b in pem_blocks(key_data)
            if b.type == "PRIVATE KEY" or b.type.endswith(" PRIVATE KEY")
        ),
        None,
    )
    if key_block is None:
        where = "the certificate file" if key_path is None else "the key file"
        return f"{prefix}: no PEM block of type PRIVATE KEY in {where}"
    leaf = _parse_certificate(certificates[0].der)
    if leaf is None:
        return f"{prefix}: the certificate cannot be parsed"
    key = _private_key(key_block.der)
    if isinstance(key, str):
        return f"{prefix}: {key}"
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        return f"{prefix}: the private key does not match the certificate's public key"
    return None
