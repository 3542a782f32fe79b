"""Fault injection: the ways a real org misbehaves, on demand and reproducibly.

A spec is a comma-separated list of `key=value` pairs, e.g.
`latency=50,error503=0.1,lock=0.05,drop=0.02,expire_after=100,exhaust=1,seed=7`:

- `latency=MS` or `latency=MIN-MAX`: every API call waits that long (milliseconds) first.
- `error503=P`: a share P (0..1) of calls is answered 503 SERVER_UNAVAILABLE.
- `lock=P`: a share P of writes fails with UNABLE_TO_LOCK_ROW (per record in collections).
- `drop=P`: a share P of writes is applied, then the connection drops before any response.
- `expire_after=N`: every N API calls all sessions expire (clients must refresh or log in again).
- `exhaust=1`: the daily API allocation is used up (403 REQUEST_LIMIT_EXCEEDED).
- `seed=N`: seed of the random draws, so a test sees the same faults every run.
- `bulk_rate=R`: Bulk API 2.0 ingest takes time: each internal batch is processed at R records
  a second (0, the default, processes jobs as fast as the emulator can). See `bulk_pace`.
- `bulk_parallel=N`: how many internal batches the org processes at once, across all jobs.
- `bulk_batch=N`: records per internal batch (Salesforce: 10,000).
- `parent_locks=1`: Bulk API internal batches lock the parents their records reference; a batch
  meeting a parent locked by another waits, then fails UNABLE_TO_LOCK_ROW. See `parent_locks`.
- `lock_wait=MS`: how long a write waits for a locked parent (Salesforce: 10 seconds).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

FAULT_KEYS = (
    "latency", "error503", "lock", "drop", "expire_after", "exhaust", "seed",
    "bulk_rate", "bulk_parallel", "bulk_batch", "parent_locks", "lock_wait",
)  # fmt: skip
# Salesforce's documented sizes, used when a spec turns the bulk model on without them
BULK_BATCH = 10_000
BULK_PARALLEL = 10
LOCK_WAIT_MS = 10_000
INTEGER_KEYS = ("bulk_rate", "bulk_parallel", "bulk_batch", "lock_wait")
SPEC_HELP = (
    "Comma-separated key=value faults: latency=MS (or MIN-MAX), error503=P, lock=P, drop=P "
    "(P a share 0..1), expire_after=N (calls), exhaust=1, seed=N, bulk_rate=R (records/s per "
    "internal batch), bulk_parallel=N, bulk_batch=N, parent_locks=1, lock_wait=MS. "
    "Example: latency=50,error503=0.1,seed=7"
)


class FaultSpecError(ValueError):
    """A fault spec that cannot be understood; the message names the bad key or value."""


@dataclass
class FaultConfig:
    latency_ms: tuple[int, int] = (0, 0)
    error503: float = 0.0
    lock: float = 0.0
    drop: float = 0.0
    expire_after: int = 0
    exhaust: bool = False
    seed: int | None = None
    bulk_rate: int = 0
    bulk_parallel: int = BULK_PARALLEL
    bulk_batch: int = BULK_BATCH
    parent_locks: bool = False
    lock_wait: int = LOCK_WAIT_MS

    @classmethod
    def parse(cls, spec: str | None) -> FaultConfig:
        """Read a spec string (see the module docstring); empty or "none" means no faults."""
        config = cls()
        if spec is None or spec.strip().lower() in ("", "none"):
            return config
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if key not in FAULT_KEYS:
                raise FaultSpecError(
                    f"unknown fault {key!r} in {spec!r}; known faults: {', '.join(FAULT_KEYS)}"
                )
            if not sep or not value:
                raise FaultSpecError(f"fault {key!r} needs a value, like {key}=...")
            config.set(key, value)
        return config

    def set(self, key: str, value: Any) -> None:
        """Set one fault from its spec key and a string (or JSON) value."""
        text = str(value).strip().lower()
        try:
            if key == "latency":
                low, _, high = text.partition("-")
                lo, hi = int(low), int(high or low)
                if lo < 0 or hi < lo:
                    raise ValueError
                self.latency_ms = (lo, hi)
            elif key in ("error503", "lock", "drop"):
                share = float(text)
                if not 0.0 <= share <= 1.0:
                    raise ValueError
                setattr(self, key, share)
            elif key == "expire_after":
                count = int(text)
                if count < 0:
                    raise ValueError
                self.expire_after = count
            elif key in ("exhaust", "parent_locks"):
                if text not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError
                setattr(self, key, text in ("1", "true", "yes"))
            elif key in INTEGER_KEYS:
                number = int(text)
                if number < 0 or (number == 0 and key in ("bulk_parallel", "bulk_batch")):
                    raise ValueError
                setattr(self, key, number)
            elif key == "seed":
                self.seed = None if text in ("", "none", "null") else int(text)
            else:
                raise FaultSpecError(
                    f"unknown fault {key!r}; known faults: {', '.join(FAULT_KEYS)}"
                )
        except ValueError as exc:
            if isinstance(exc, FaultSpecError):
                raise
            raise FaultSpecError(
                f"bad value {value!r} for fault {key!r}: {_expected(key)}"
            ) from None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["latency_ms"] = list(self.latency_ms)
        return out

    def spec(self) -> str:
        """The spec string that parses back into this config."""
        lo, hi = self.latency_ms
        parts = [f"latency={lo}" if lo == hi else f"latency={lo}-{hi}"]
        parts += [f"{k}={getattr(self, k)}" for k in ("error503", "lock", "drop", "expire_after")]
        parts.append(f"exhaust={int(self.exhaust)}")
        parts += [f"{k}={getattr(self, k)}" for k in ("bulk_rate", "bulk_parallel", "bulk_batch")]
        parts.append(f"parent_locks={int(self.parent_locks)}")
        parts.append(f"lock_wait={self.lock_wait}")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return ",".join(parts)


def _expected(key: str) -> str:
    return {
        "latency": "expected milliseconds, like 50 or 20-200",
        "error503": "expected a share between 0 and 1",
        "lock": "expected a share between 0 and 1",
        "drop": "expected a share between 0 and 1",
        "expire_after": "expected a whole number of calls (0 = never)",
        "exhaust": "expected 1 or 0",
        "seed": "expected a whole number",
        "bulk_rate": "expected records a second (0 = no processing time)",
        "bulk_parallel": "expected a whole number of batches, at least 1",
        "bulk_batch": "expected a whole number of records, at least 1",
        "parent_locks": "expected 1 or 0",
        "lock_wait": "expected milliseconds",
    }.get(key, "")


class Faults:
    """The faults in force and the random draws behind them (seeded for reproducible tests)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)
        self.calls_since_expiry = 0
        self.injected: dict[str, int] = {"error503": 0, "lock": 0, "drop": 0, "expired": 0}

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self.calls_since_expiry = 0

    def update(self, changes: dict[str, Any]) -> FaultConfig:
        """Apply `changes` (spec keys, or FaultConfig field names) on top of the current config."""
        names = {f.name for f in fields(FaultConfig)}
        config = FaultConfig(**{n: getattr(self.config, n) for n in names})
        for key, value in changes.items():
            spec_key = "latency" if key == "latency_ms" else key
            if spec_key == "latency" and isinstance(value, list | tuple):
                value = "-".join(str(v) for v in value)
            if spec_key == "seed" and value is None:
                value = "none"
            if isinstance(value, bool):
                value = int(value)
            if spec_key not in FAULT_KEYS:
                raise FaultSpecError(
                    f"unknown fault {key!r}; known faults: {', '.join(FAULT_KEYS)}"
                )
            config.set(spec_key, value)
        self.configure(config)
        return config

    def latency_seconds(self) -> float:
        lo, hi = self.config.latency_ms
        if hi <= 0:
            return 0.0
        with self._lock:
            ms = lo if lo == hi else self._rng.uniform(lo, hi)
        return ms / 1000.0

    def draw(self, kind: str) -> bool:
        """Whether this call suffers fault `kind` (error503, lock, drop)."""
        share: float = getattr(self.config, kind)
        if share <= 0.0:
            return False
        with self._lock:
            hit = self._rng.random() < share
            if hit:
                self.injected[kind] += 1
        return hit

    def count(self, kind: str, n: int = 1) -> None:
        """Count faults a model (not a random draw) caused, like parent row locks."""
        with self._lock:
            self.injected[kind] += n

    def session_expires_now(self) -> bool:
        """Count an authenticated call; true when this call is the Nth since the last expiry."""
        if self.config.expire_after <= 0:
            return False
        with self._lock:
            self.calls_since_expiry += 1
            if self.calls_since_expiry >= self.config.expire_after:
                self.calls_since_expiry = 0
                self.injected["expired"] += 1
                return True
        return False
