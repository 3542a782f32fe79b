"""The demo's four integrations fit the demo org: the checks a save runs find nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from forcebridge.demo import billing
from forcebridge.demo.integrations import INTEGRATIONS
from forcebridge.services.integrations import parse_config
from forcebridge.sources.sql import SqlDatabase, SqlSource
from forcebridge.sync.config import EntitySyncConfig
from forcebridge.sync.mapper import compile_mapping
from forcebridge.sync.plan import check, referenced_objects
from forcebridge.sync.schema import DescribedObject, ObjectSchema, lookup_from
from tests.salesforce.emulated import in_process

pytestmark = pytest.mark.anyio


async def _describes(names: set[str]) -> list[ObjectSchema]:
    emu = in_process()
    async with emu.client() as sf:
        return [DescribedObject((await sf.describe(n)).raw) for n in sorted(names)]


async def test_every_mapping_fits_the_demo_org_and_maps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "billing.db"
    billing.seed(path, billing.Sizes(accounts=10))
    for item in INTEGRATIONS:
        config = parse_config("entity_sync", item.config("billing"))
        assert isinstance(config, EntitySyncConfig)
        target = config.mapping.resolved_object()
        [schema] = await _describes({target})
        parents = referenced_objects(config.mapping, schema)
        lookup = lookup_from([schema, *await _describes(parents)])
        database = SqlDatabase("billing", SecretStr(billing.url(path)))
        source = SqlSource(config.source, database)  # type: ignore[arg-type]
        assert check(config.mapping, config.mode, lookup, source.columns()) == [], item.name
        mapper = compile_mapping(config.mapping, lookup(target))
        for batch in source.batches(100):
            mapped, errors = mapper.map_batch(batch)
            assert errors == [] and len(mapped) == len(batch), item.name


def test_the_demo_uses_a_namespace_custom_fields_references_and_transforms() -> None:
    kinds = {m.get("transform", {}).get("type") for i in INTEGRATIONS for m in i.mappings}
    assert {"date", "number", "datetime", "reference", "value_map"} <= kinds
    assert len(INTEGRATIONS) == 4
    assert {i.table for i in INTEGRATIONS} == set(billing.TABLES)
