"""Work a domain keeps running in the background while the hub serves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web


def keep_running(
    app: web.Application, name: str, work: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run `work()` as a task named `name` from start-up until shutdown cancels and awaits it.

    Start-up comes after the core's migrations, so the work may use the database at once.
    """
    key = web.AppKey(f"background:{name}", asyncio.Task[None])

    async def start(app: web.Application) -> None:
        app[key] = asyncio.create_task(work(), name=name)

    async def stop(app: web.Application) -> None:
        task = app.get(key)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.on_startup.append(start)
    app.on_shutdown.append(stop)
