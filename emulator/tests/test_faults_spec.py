"""The fault spec grammar of `--faults` and `/__emulator__/faults` (pure logic, no I/O)."""

from __future__ import annotations

import pytest

from forcebridge_emulator._faults import FaultConfig, Faults, FaultSpecError


def test_full_spec_parses_every_key() -> None:
    config = FaultConfig.parse(
        "latency=50,error503=0.1,lock=0.05,drop=0.02,expire_after=100,exhaust=1,seed=7"
    )
    assert config.latency_ms == (50, 50)
    assert (config.error503, config.lock, config.drop) == (0.1, 0.05, 0.02)
    assert config.expire_after == 100
    assert config.exhaust is True
    assert config.seed == 7
    assert FaultConfig.parse(config.spec()) == config


def test_latency_range_and_empty_spec() -> None:
    assert FaultConfig.parse("latency=20-200").latency_ms == (20, 200)
    assert FaultConfig.parse("") == FaultConfig()
    assert FaultConfig.parse(None) == FaultConfig()
    assert FaultConfig.parse(" none ") == FaultConfig()


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("latncy=50", "'latncy'"),
        ("error503=2", "'error503'"),
        ("lock=abc", "'lock'"),
        ("expire_after=-1", "'expire_after'"),
        ("latency=200-20", "'latency'"),
        ("exhaust=maybe", "'exhaust'"),
        ("drop", "'drop'"),
    ],
)
def test_bad_specs_name_the_bad_key(spec: str, named: str) -> None:
    with pytest.raises(FaultSpecError, match=named):
        FaultConfig.parse(spec)


def test_draws_are_reproducible_with_a_seed() -> None:
    first = Faults(FaultConfig.parse("error503=0.3,seed=11"))
    second = Faults(FaultConfig.parse("error503=0.3,seed=11"))
    a = [first.draw("error503") for _ in range(200)]
    b = [second.draw("error503") for _ in range(200)]
    assert a == b
    assert 30 < sum(a) < 90  # about 60 of 200
    assert first.injected["error503"] == sum(a)


def test_expiry_counts_calls() -> None:
    faults = Faults(FaultConfig.parse("expire_after=3"))
    assert [faults.session_expires_now() for _ in range(7)] == [
        False, False, True, False, False, True, False
    ]  # fmt: skip


def test_update_keeps_other_faults() -> None:
    faults = Faults(FaultConfig.parse("latency=10,lock=0.5"))
    faults.update({"error503": 1, "latency_ms": [5, 6]})
    assert faults.config.lock == 0.5
    assert faults.config.error503 == 1.0
    assert faults.config.latency_ms == (5, 6)
    with pytest.raises(FaultSpecError, match="'bogus'"):
        faults.update({"bogus": 1})
