"""Background upload jobs for ``newsrag serve``: one at a time, in a worker thread, in memory.

``POST /api/articles?wait=false`` stages the files (``ui.uploads.stage``) and hands the slow
part here; ``GET /api/articles/jobs/{id}`` reads the job's state. Jobs run in arrival order
on one worker thread, started when a job arrives and ended when none is left, so an idle
server holds no thread. At most ``max_waiting`` jobs wait (the caller refuses more) and the
last ``keep`` finished jobs are remembered; older ones are forgotten.

It leaves what a job does and how its result looks to the caller (``ui.http.rest``). Jobs do not
survive a restart: a job still queued then leaves its hidden staged copies in the uploads
folder.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from index.errors import NewsragError

log = logging.getLogger("newsrag.jobs")


@dataclass
class UploadJob:
    """One upload's progress; its fields are updated by the worker while it runs."""

    job_id: str
    files_total: int
    state: str = "queued"  # queued | running | done | failed
    files_done: int = 0
    chunks_embedded: int = 0
    current_file: str = ""
    result: dict[str, Any] | None = None  # done: the synchronous reply's body
    error: str = ""  # failed: why, in one line
    work: Callable[[UploadJob], dict[str, Any]] | None = field(default=None, repr=False)

    def view(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "state": self.state,
            "files_total": self.files_total,
            "files_done": self.files_done,
            "chunks_embedded": self.chunks_embedded,
            "current_file": self.current_file,
            "result": self.result,
            "error": self.error or None,
        }


class UploadJobs:
    """A FIFO of upload jobs run one at a time by a worker thread."""

    def __init__(self, max_waiting: int = 4, keep: int = 100) -> None:
        self.max_waiting = max_waiting
        self.keep = keep
        self._lock = threading.Lock()
        self._queue: deque[UploadJob] = deque()
        self._jobs: dict[str, UploadJob] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._worker: threading.Thread | None = None

    def submit(self, files_total: int, work: Callable[[UploadJob], dict[str, Any]]) -> UploadJob | None:
        """Queue ``work`` (it returns the result body); None when ``max_waiting`` jobs already wait."""
        with self._lock:
            if len(self._queue) >= self.max_waiting:
                return None
            job = UploadJob(uuid.uuid4().hex, files_total, work=work)
            self._jobs[job.job_id] = job
            self._queue.append(job)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="newsrag-uploads", daemon=True)
                self._worker.start()
        return job

    def get(self, job_id: str) -> UploadJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                job = self._queue.popleft()
                job.state = "running"
            work, job.work = job.work, None
            assert work is not None
            try:
                job.result = work(job)
                job.state = "done"
            except NewsragError as err:
                job.error, job.state = str(err), "failed"
            except Exception:
                log.exception("upload job %s failed", job.job_id)
                job.error, job.state = "internal error: the server log has the details", "failed"
            with self._lock:
                self._finished[job.job_id] = None
                while len(self._finished) > self.keep:
                    old, _ = self._finished.popitem(last=False)
                    self._jobs.pop(old, None)
