"""Periodic jobs for the scheduler tests: they record their calls, fail, or take long."""

from __future__ import annotations

import asyncio

from forcebridge.runtime import Runtime

calls: list[str] = []


async def counting(rt: Runtime) -> int:
    calls.append("counting")
    return 1


async def failing(rt: Runtime) -> int:
    calls.append("failing")
    raise RuntimeError("the job broke")


async def slow(rt: Runtime) -> int:
    calls.append("slow")
    await asyncio.sleep(30)
    return 0
