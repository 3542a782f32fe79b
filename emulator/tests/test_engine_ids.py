"""Record ids: checksums computed the real way, checked against ids recorded from live orgs."""

from __future__ import annotations

import re

import pytest
from recorded.recordings import RECORDINGS_DIR

from forcebridge_emulator import _ids as ids

# Ids as real orgs returned them (CumulusCI cassettes, NetCoreForce captures).
REAL_IDS = [
    "0012300000bVTphAAG",
    "0019H00000H1RMDQA3",
    "001D000000JliSTIAZ",
    "001P000001vkheIIAQ",
    "001i000002C8QTIAA3",
    "0035500001H9kaAAAR",
    "0039H00000BcB5mQAF",
    "0037e00001WZ312AAD",
    "0057e00000RmwSWAAZ",
]


@pytest.mark.parametrize("real", REAL_IDS)
def test_checksum_matches_real_ids(real: str) -> None:
    assert ids.checksum(real[:15]) == real[15:]
    assert ids.to18(real[:15]) == real
    assert ids.is_valid(real)


def test_every_recorded_cumulusci_account_and_contact_id_has_a_valid_suffix() -> None:
    pattern = re.compile(r'"(00[13][0-9A-Za-z]{15})"')
    found: set[str] = set()
    for path in (RECORDINGS_DIR / "CumulusCI").rglob("*.yaml"):
        found.update(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
    real = {i for i in found if "xx" not in i.lower() and "0000000000" not in i}
    assert len(real) > 10
    assert [i for i in real if not ids.is_valid(i)] == []


def test_validation_rejects_bad_ids() -> None:
    assert not ids.is_valid("001")
    assert not ids.is_valid("0012300000bVTph-AG")  # bad charset
    assert not ids.is_valid("0012300000bVTphAAH")  # wrong checksum
    assert not ids.is_valid("0012300000bVTphA")  # 16 chars
    assert not ids.is_valid(12345)
    assert ids.is_valid("0012300000bVTph")  # 15-char form
    assert ids.is_valid("0012300000bVTphaag")  # suffix compared case-insensitively


def test_normalize_and_to18() -> None:
    assert ids.normalize("0012300000bVTph") == "0012300000bVTphAAG"
    assert ids.normalize("0012300000bVTphaag") == "0012300000bVTphAAG"
    assert ids.normalize("0012300000bVTphAAH") is None
    assert ids.normalize(None) is None
    with pytest.raises(ValueError):
        ids.to18("nope")


def test_factory_makes_unique_valid_ids_with_the_prefix() -> None:
    factory = ids.IdFactory()
    made = [factory.new("a0X") for _ in range(1000)]
    assert len(set(made)) == 1000
    assert all(len(i) == 18 and i.startswith("a0X") and ids.is_valid(i) for i in made)
    # Case-insensitively unique too, which is the point of the suffix.
    assert len({i.lower() for i in made}) == 1000


def test_custom_prefixes_are_stable_shaped_and_distinct() -> None:
    taken: set[str] = {"001", "003"}
    first = ids.custom_prefix("acme__Balance__c", set(taken))
    assert first == ids.custom_prefix("acme__Balance__c", set(taken))
    assert re.fullmatch(r"a[0-9][0-9A-Za-z]", first)
    taken.add(first)
    assert ids.custom_prefix("acme__Balance__c", taken) != first
    assert ids.custom_prefix("Acme_Event__e", set(), first="e").startswith("e")
