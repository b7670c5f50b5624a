"""Killable worker processes for the symbolic comparisons.

Why not signals or threads: math-verify's own timeout uses SIGALRM, which only works in the main
thread, and a sympy call (or printing a sympy object) can run for minutes holding the GIL. A
separate process can always be killed. Each worker caps its address space (RLIMIT_AS), so a power
tower that tries to allocate gigabytes fails inside the worker instead of taking the machine down.

Workers are fresh interpreters (``python -m grader.answers.pool``), not forks: the parent may hold
torch or CUDA state, and multiprocessing's spawn/forkserver would re-run the parent's ``__main__``
(``python -m grader`` itself) in every worker. Jobs travel as pickles over two pipes.
"""

from __future__ import annotations

import atexit
import logging
import os
import resource
import signal
import subprocess
import sys
import time
import warnings
from collections import deque
from multiprocessing.connection import Connection, wait
from typing import Callable

OK, TIMEOUT, ERROR = "ok", "timeout", "error"
READY = "ready"
STARTUP_TIMEOUT = 60.0  # seconds for a worker to import sympy, even on a badly overloaded machine
MAX_FAILED_STARTS = 3
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

JobResult = tuple[str, bool, int]  # (status, equal, method)


def _worker_main(jobs: Connection, results: Connection, memory_bytes: int) -> None:
    """Serve (candidate, reference) jobs until told to stop; exits after an error to start clean."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    logging.disable(logging.CRITICAL)  # parser and sympy chatter would land on the user's terminal
    warnings.simplefilter("ignore")
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from grader.answers.symbolic import symbolic_verdict

    results.send(READY)
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            equal, method = symbolic_verdict(*job)
            results.send((OK, equal, method))
        except BaseException:  # MemoryError, RecursionError, parser bugs: a wrong verdict, then a fresh worker
            try:
                results.send((ERROR, False, 0))
            except OSError:
                pass
            return


class _Worker:
    """One worker interpreter and the two pipe ends that talk to it."""

    def __init__(self, memory_bytes: int):
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.answers.pool", str(job_r), str(res_w), str(memory_bytes)],
            pass_fds=(job_r, res_w), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )
        os.close(job_r)
        os.close(res_w)
        self.jobs = Connection(job_w, readable=False)
        self.results = Connection(res_r, writable=False)
        self.ready = False  # set once the worker has said it imported sympy

    def stop(self, kill: bool) -> None:
        if not kill:
            try:
                self.jobs.send(None)
                self.proc.wait(0.5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.jobs.close()
        self.results.close()


class WorkerPool:
    """A fixed set of symbolic workers; a job past its deadline gets its worker killed and replaced."""

    def __init__(self, memory_mb: int):
        self.memory_bytes = memory_mb * 2**20
        self.workers: list[_Worker] = []

    def _replace(self, worker: _Worker) -> _Worker:
        worker.stop(kill=True)
        fresh = _Worker(self.memory_bytes)
        self.workers[self.workers.index(worker)] = fresh
        return fresh

    def run(self, jobs: list[tuple[str, str]], workers: int, timeout: float,
            on_done: Callable[[], None] | None = None) -> list[JobResult]:
        """Run every job on at most ``workers`` processes; each job gets ``timeout`` seconds.

        The clock of a job starts when a *ready* worker receives it: interpreter start-up and the
        sympy import (about a second, more on a loaded machine) never count as a timeout.
        """
        while len(self.workers) < min(workers, len(jobs)):
            self.workers.append(_Worker(self.memory_bytes))
        idle: deque[_Worker] = deque()
        starting: dict[Connection, tuple[_Worker, float]] = {}
        for worker in self.workers[: max(1, workers)]:
            if worker.ready:
                idle.append(worker)
            else:
                starting[worker.results] = (worker, time.monotonic() + STARTUP_TIMEOUT)
        pending = deque(range(len(jobs)))
        busy: dict[Connection, tuple[_Worker, int, float]] = {}
        results: list[JobResult] = [(ERROR, False, 0)] * len(jobs)
        failed_starts = 0

        def finish(i: int, result: JobResult) -> None:
            results[i] = result
            if on_done:
                on_done()

        while pending or busy:
            if failed_starts > MAX_FAILED_STARTS:  # workers cannot start at all: every job is an error
                for i in pending:
                    finish(i, (ERROR, False, 0))
                pending.clear()
                continue
            while idle and pending:
                worker, i = idle.popleft(), pending.popleft()
                try:
                    worker.jobs.send(jobs[i])
                except OSError:  # died since its last job: replace it and retry this job
                    fresh = self._replace(worker)
                    starting[fresh.results] = (fresh, time.monotonic() + STARTUP_TIMEOUT)
                    pending.appendleft(i)
                    continue
                busy[worker.results] = (worker, i, time.monotonic() + timeout)
            deadlines = [d for _, _, d in busy.values()] + [d for _, d in starting.values()]
            wait_s = max(0.0, min(deadlines) - time.monotonic()) if deadlines else 0.0
            for conn in wait(list(busy) + list(starting), timeout=wait_s):
                try:
                    message = conn.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):  # killed by the kernel (memory) or crashed
                    message = (ERROR, False, 0)
                if conn in starting:
                    worker, _ = starting.pop(conn)  # type: ignore[arg-type]
                    if message == READY:
                        worker.ready = True
                        idle.append(worker)
                    else:
                        failed_starts += 1
                        fresh = self._replace(worker)
                        starting[fresh.results] = (fresh, time.monotonic() + STARTUP_TIMEOUT)
                    continue
                worker, i, _ = busy.pop(conn)  # type: ignore[arg-type]
                finish(i, message)
                if message[0] == OK:
                    idle.append(worker)
                else:
                    fresh = self._replace(worker)
                    starting[fresh.results] = (fresh, time.monotonic() + STARTUP_TIMEOUT)
            now = time.monotonic()
            for conn, (worker, i, deadline) in list(busy.items()):
                if now >= deadline:
                    del busy[conn]
                    finish(i, (TIMEOUT, False, 0))
                    fresh = self._replace(worker)
                    starting[fresh.results] = (fresh, time.monotonic() + STARTUP_TIMEOUT)
            for conn, (worker, deadline) in list(starting.items()):
                if now >= deadline:
                    del starting[conn]
                    failed_starts += 1
                    fresh = self._replace(worker)
                    starting[fresh.results] = (fresh, time.monotonic() + STARTUP_TIMEOUT)
        return results

    def close(self) -> None:
        for worker in self.workers:
            worker.stop(kill=False)
        self.workers.clear()


_POOL: WorkerPool | None = None


def get_pool(memory_mb: int) -> WorkerPool:
    """The process-wide pool (created on first use, closed at exit)."""
    global _POOL
    if _POOL is None or _POOL.memory_bytes != memory_mb * 2**20:
        if _POOL is not None:
            _POOL.close()
        _POOL = WorkerPool(memory_mb)
    return _POOL


@atexit.register
def _close_pool() -> None:
    if _POOL is not None:
        _POOL.close()


if __name__ == "__main__":
    _worker_main(Connection(int(sys.argv[1]), readable=True, writable=False),
                 Connection(int(sys.argv[2]), readable=False, writable=True), int(sys.argv[3]))
