"""A progress bar on stderr that follows a job's stage and progress (rich), or nothing for scripts."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from simulacra.api.client.models import Job


class JobBar:
    """Use as a context manager and pass `update` as `Client.wait_for_job(on_progress=...)`."""

    def __init__(self, label: str, enabled: bool) -> None:
        self._label = label
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> JobBar:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=100)
        return self

    def update(self, job: Job) -> None:
        if self._progress is not None and self._task is not None:
            description = f"{self._label}: {job.status} ({job.stage})"
            self._progress.update(self._task, completed=job.progress * 100, description=description)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
