"""Secrets at rest: AES-256-GCM sealing of secret fields.

A sealed value reads `v1:<key id>:<base64 nonce+ciphertext>`. The key id lets several keys
be accepted at once, so `secrets rotate-key` can re-encrypt row by row without a moment
where some value cannot be opened.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from forcebridge.errors import Internal

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "v1"


class VaultError(Internal):
    """A sealed value could not be opened (wrong key, or tampered with)."""

    code = "vault_error"


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _decode_key(key: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise VaultError("secret key is not valid base64") from exc
    if len(raw) != 32:
        raise VaultError("secret key must decode to 32 bytes")
    return raw


def key_id(key: str) -> str:
    return hashlib.sha256(_decode_key(key)).hexdigest()[:8]


class Vault:
    """Seals with the primary key; opens with the primary or any fallback."""

    def __init__(self, primary: str, fallbacks: Iterable[str] = ()) -> None:
        self._primary_id = key_id(primary)
        self._keys = {self._primary_id: _decode_key(primary)}
        for key in fallbacks:
            self._keys.setdefault(key_id(key), _decode_key(key))
        self._aeads: dict[str, AESGCM] = {}

    def __repr__(self) -> str:
        return f"Vault(primary={self._primary_id}, keys={len(self._keys)})"

    @property
    def primary_id(self) -> str:
        return self._primary_id

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        box = self._aead(self._primary_id).encrypt(
            nonce, plaintext.encode(), self._primary_id.encode()
        )
        return f"{_PREFIX}:{self._primary_id}:{base64.urlsafe_b64encode(nonce + box).decode()}"

    def open(self, sealed: str) -> str:
        try:
            prefix, kid, payload = sealed.split(":", 2)
        except ValueError as exc:
            raise VaultError("value is not a sealed secret") from exc
        if prefix != _PREFIX:
            raise VaultError("value is not a sealed secret")
        if kid not in self._keys:
            raise VaultError(f"no key with id {kid} is configured")
        raw = base64.urlsafe_b64decode(payload.encode())
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead(kid).decrypt(raw[:12], raw[12:], kid.encode()).decode()
        except InvalidTag as exc:
            raise VaultError("sealed secret failed authentication") from exc

    def _aead(self, kid: str) -> AESGCM:
        # cryptography loads when a secret is first sealed or opened, not with every command
        if kid not in self._aeads:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aeads[kid] = AESGCM(self._keys[kid])
        return self._aeads[kid]

    def is_current(self, sealed: str) -> bool:
        return sealed.split(":", 2)[1:2] == [self._primary_id]


def load_or_create_key(path: Path) -> str:
    """Read the key file, or create it with mode 0600 on first run.

    Processes starting together (several workers on a new data dir) must agree on one key:
    each writes its own candidate, and only the first hard link to `path` wins, so the file
    never appears half written and the others read the winner's key."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    candidate = path.with_name(f".{path.name}.{os.urandom(6).hex()}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        try:
            os.link(candidate, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        candidate.unlink(missing_ok=True)
    return key


def write_key(path: Path, key: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    os.replace(tmp, path)
