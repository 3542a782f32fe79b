"""The bulk job's CSV and result parsing match the generic `csv_chunks` / line parser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from forcebridge.runs.bulk import _chunks, _layout, flatten
from forcebridge.salesforce.bulk import csv_chunks, parse_csv_lines
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
    assert asyncio.run(_join(_chunks(columns, records))) == expected


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
