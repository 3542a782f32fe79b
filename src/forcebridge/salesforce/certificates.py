"""A key pair for the JWT bearer flow: the private key stays with the connection, the
self-signed certificate is uploaded to the connected app (Salesforce verifies RS256 with it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class JwtKeyPair:
    private_key_pem: str = field(repr=False)
    certificate_pem: str


def jwt_keypair(common_name: str = "forcebridge", *, days: int = 365) -> JwtKeyPair:
    # loaded when a key pair is made, not by every process the client package starts in
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return JwtKeyPair(private.decode(), cert.public_bytes(serialization.Encoding.PEM).decode())
