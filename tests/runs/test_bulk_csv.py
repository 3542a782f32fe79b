"""The bulk job's CSV and result parsing match the generic `csv_chunks` / line parser."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from forcebridge.runs.bulk import _PACKED, _csv, _layout, _Packed, flatten
from forcebridge.salesforce.bulk import csv_blocks, csv_chunks, parse_csv_lines
from forcebridge.sync.diff import Change, Diffed


def _record(i: int, payload: dict[str, Any]) -> Diffed:
    return Diffed(f"k{i}", payload, "h", Change.NEW, None, i)


async def _join(chunks: AsyncIterator[bytes]) -> str:
    return b"".join([c async for c in chunks]).decode()


def test_job_csv_is_what_csv_chunks_writes() -> None:
    payloads: list[dict[str, Any]] = [
        {"Ext__c": f"E{i}", "Name": f'na,me "{i}"\nline', "Amount__c": i * 1.25, "Flag__c": i % 2 == 0,
         "Empty__c": None, "Count__c": i}
        for i in range(1200)
    ]
    payloads += [
        {"Ext__c": "R1", "Account__r": {"Ext__c": "A1"}, "Name": "ref"},
        {"Ext__c": "R2", "AccountId": None, "Other__c": "x"},
    ]
    records = [_record(i, p) for i, p in enumerate(payloads)]
    columns = _layout(records)
    header: list[str] = []
    for p in payloads:
        for name in flatten(p):
            if name not in header:
                header.append(name)
    expected = asyncio.run(_join(csv_chunks(header, [flatten(p) for p in payloads])))
    assert b"".join(_csv(columns, records)).decode() == expected


def test_a_jobs_payloads_are_packed_and_given_back_as_they_were() -> None:
    payloads: list[dict[str, Any]] = [
        {"Ext__c": f"E{i}", "Name": f'na,me "{i}" é', "Amount__c": i * 1.25, "Count__c": i,
         "Flag__c": i % 2 == 0, "Empty__c": None}
        for i in range(300)
    ]
    payloads += [
        {"Ext__c": "R1", "Account__r": {"Ext__c": "A1"}, "Name": "ref"},
        {"Name": "keys in another order", "Ext__c": "R2"},
        {},
    ]
    records = [_record(i, dict(p)) for i, p in enumerate(payloads)]
    packed = _Packed(records)
    packed.pack()
    assert all(r.payload is _PACKED for r in records)  # the dicts are let go
    back = [records[i] for i in (0, 7, 299, 300, 301, 302)]
    packed.unpack(back)
    for i in (0, 7, 299, 300, 301, 302):
        assert records[i].payload == payloads[i]
        assert list(records[i].payload) == list(payloads[i])  # the keys' order too
        assert [type(v) for v in records[i].payload.values()] == \
            [type(v) for v in payloads[i].values()]
    assert records[1].payload is _PACKED  # only the ones asked for
    packed.unpack(back)  # again: nothing changes
    assert records[0].payload == payloads[0]


def test_payloads_not_packed_yet_are_left_alone() -> None:
    records = [_record(i, {"Ext__c": f"E{i}"}) for i in range(3)]
    _Packed(records).unpack(records)  # the job never had a CSV: the payloads are the dicts
    assert [r.payload for r in records] == [{"Ext__c": "E0"}, {"Ext__c": "E1"}, {"Ext__c": "E2"}]


def test_result_lines_parse_in_blocks_like_one_by_one() -> None:
    lines = ['"sf__Id","sf__Created","Name"']
    for i in range(1500):
        lines.append(f'"ID{i}","true","plain {i}"')
        if i % 300 == 0:
            lines += [f'"ID{i}x","false","two', 'lines, ""quoted"""']
    lines.append("")

    async def source() -> AsyncIterator[str]:
        for line in lines:
            yield line

    async def rows() -> list[list[str]]:
        return [r async for r in parse_csv_lines(source())]

    got = asyncio.run(rows())
    assert got[0] == ["sf__Id", "sf__Created", "Name"]
    assert len(got) == 1 + 1500 + 5
    assert ["ID300x", "false", 'two\nlines, "quoted"'] in got
    assert got[-1] == ["ID1499", "true", "plain 1499"]


@pytest.mark.parametrize("piece", [1, 7, 64, 4096])
def test_result_text_parses_in_pieces_like_one_reader(piece: int) -> None:
    # pieces cut anywhere: inside a line, inside a quoted value, between \r and \n
    text = '"sf__Id","sf__Created","Name"\r\n'
    for i in range(400):
        text += f'"ID{i}","true","plain {i}"\r\n'
        if i % 50 == 0:
            text += f'"ID{i}x","false","two\nlines, ""quoted"""\r\n'
    expected = [row for row in csv.reader(io.StringIO(text)) if row]

    async def pieces() -> AsyncIterator[str]:
        for start in range(0, len(text), piece):
            yield text[start:start + piece]

    async def rows() -> list[list[str]]:
        return [row async for block in csv_blocks(pieces()) for row in block]

    assert asyncio.run(rows()) == expected
