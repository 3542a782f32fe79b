"""Secrets at rest: sealing, tampering, key files, and rotation without loss."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from forcebridge.runtime import Runtime
from forcebridge.services import secret_key
from forcebridge.settings import Settings
from forcebridge.store.db import Database
from forcebridge.store.types import SealedText
from forcebridge.vault import Vault, VaultError, generate_key, load_or_create_key


def test_seal_and_open_round_trip() -> None:
    vault = Vault(generate_key())
    sealed = vault.seal("s3cr3t-password")
    assert "s3cr3t" not in sealed
    assert sealed != vault.seal("s3cr3t-password")  # fresh nonce each time
    assert vault.open(sealed) == "s3cr3t-password"


def test_tampered_or_foreign_values_are_refused() -> None:
    vault = Vault(generate_key())
    sealed = vault.seal("value")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(VaultError):
        vault.open(tampered)
    with pytest.raises(VaultError, match="no key with id"):
        Vault(generate_key()).open(sealed)
    with pytest.raises(VaultError):
        vault.open("plain text")


def test_vault_repr_shows_no_key() -> None:
    key = generate_key()
    assert key not in repr(Vault(key))


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]


def test_processes_creating_the_key_together_agree_on_one(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    script = (
        "import sys, time; from pathlib import Path; from forcebridge.vault import "
        "load_or_create_key as k; time.sleep(max(0.0, float(sys.argv[2]) - time.time())); "
        "print(k(Path(sys.argv[1])))"
    )
    start = str(time.time() + 1.5)  # after every interpreter has started
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), start],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(8)]  # fmt: skip
    answers = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in answers]
    assert {out.strip() for out, _ in answers} == {path.read_text().strip()}
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]


def test_settings_secret_never_prints(tmp_path: Path) -> None:
    key = generate_key()
    settings = Settings(data_dir=tmp_path, secret_key=key)
    assert key not in repr(settings)
    assert key not in str(settings.model_dump())


def _sealed_table(db: Database) -> tuple[MetaData, Table]:
    metadata = MetaData()
    table = Table(
        "credentials_for_rotation_test",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("secret", SealedText, nullable=True),
        Column("other", SealedText, nullable=True),
    )
    metadata.create_all(db.engine)
    return metadata, table


def test_rotation_reseals_every_value_and_loses_none(runtime: Runtime) -> None:
    metadata, table = _sealed_table(runtime.db)
    old = runtime.vault
    plain = {i: (f"secret-{i}", None if i % 3 == 0 else f"other-{i}") for i in range(50)}
    with runtime.db.begin() as s:
        for i, (a, b) in plain.items():
            s.execute(insert(table).values(id=i, secret=old.seal(a), other=b and old.seal(b)))

    new_key = generate_key()
    new_vault = Vault(new_key, [runtime.primary_key()])
    report = secret_key.reseal_all(runtime.db, new_vault, metadata)
    assert report.values == sum(1 + (b is not None) for _, b in plain.values())

    only_new = Vault(new_key)  # the new key alone must open everything
    with runtime.db.begin() as s:
        rows = s.execute(select(table)).all()
    for row in rows:
        assert only_new.is_current(row.secret)
        assert only_new.open(row.secret) == plain[row.id][0]
        if row.other is not None:
            assert only_new.open(row.other) == plain[row.id][1]
    # a second run finds nothing to do
    again = secret_key.reseal_all(runtime.db, new_vault, metadata)
    assert again.values == 0 and again.already_current == report.values


def test_rotating_the_key_file_swaps_keys_and_keeps_values(runtime: Runtime) -> None:
    metadata, table = _sealed_table(runtime.db)
    first = runtime.primary_key()
    with runtime.db.begin() as s:
        s.execute(insert(table).values(id=1, secret=runtime.vault.seal("keep me")))

    # The CLI path rotates Base.metadata; here the same steps run over the test table.
    pending = runtime.pending_key_file
    new = generate_key()
    pending.write_text(new)
    secret_key.reseal_all(runtime.db, Vault(new, [first]), metadata)
    # An interrupted rotation: both key files present, the runtime must open either.
    runtime.reset_vault()
    with runtime.db.begin() as s:
        assert runtime.vault.open(s.execute(select(table.c.secret)).scalar_one()) == "keep me"

    report = secret_key.rotate_file_key(runtime)
    assert report.tables == len(secret_key.sealed_columns())
    assert runtime.primary_key() == new  # the pending key was finished, not replaced
    assert not runtime.pending_key_file.exists() and not runtime.previous_key_file.exists()
    with runtime.db.begin() as s:
        assert Vault(new).open(s.execute(select(table.c.secret)).scalar_one()) == "keep me"
