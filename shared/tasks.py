"""Background tasks that are never garbage-collected mid-flight and never fail silently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskKeeper:
    """Holds strong references to the tasks it starts and logs their exceptions.

    asyncio keeps only weak references to tasks; one started and forgotten can
    vanish mid-flight. Every long-lived object that starts tasks owns a keeper
    and calls `cancel_all()` when it shuts down.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        """Run `coro` as a task owned by this keeper."""
        task = asyncio.get_running_loop().create_task(coro, name=f"{self._name}:{name or 'task'}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())

    async def cancel_all(self) -> None:
        """Cancel every running task and wait until all have finished."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def settled(self) -> None:
        """Waits until no task of this keeper runs (those started meanwhile included).

        A barrier for whoever must know that everything set off has happened,
        such as a test checking that something was *not* sent.
        """
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def __len__(self) -> int:
        return len(self._tasks)
