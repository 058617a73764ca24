"""Import run on untrusted files in worker processes, each input under a time and memory
limit, and every outcome sorted into one of five kinds.

An import may refuse a file, but only with the project's error naming the file ("clear
error"); anything else that escapes is a "crash", and so is a worker that dies. A worker
that does not answer within twice the time limit is killed and the input counted as a
"hang", as is one that answers after more than the limit of CPU time (CPU time, so that a
busy machine does not turn slow answers into hangs). Memory is capped with RLIMIT_AS at
what the worker held before the input plus the limit: an input that reaches for more
fails with MemoryError, wherever it is caught and turned into a message, and counts as
"memory". Workers are replaced every few hundred inputs so that one input's leftovers
never shrink the next one's allowance.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .fuzz_inputs import FuzzInput

OUTCOMES = ("ok", "clear error", "crash", "hang", "memory")


@dataclass(frozen=True)
class Result:
    name: str
    outcome: str
    detail: str  # the message, or what went wrong and where
    seconds: float  # wall clock
    cpu: float
    peak_mb: float  # resident memory the input added at its peak


def run_inputs(inputs: Iterable[FuzzInput], workers: int = 2, time_limit: float = 2.0,
               memory_mb: int = 500, restart_every: int = 300) -> Iterator[Result]:
    """The inputs' results, in the order they finish."""
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with tempfile.TemporaryDirectory(prefix="composer-fuzz-") as folder:
        pool = [_Worker(context, Path(folder) / str(i), memory_mb) for i in range(workers)]
        pending = iter(inputs)
        try:
            while True:
                for i, worker in enumerate(pool):
                    if worker.job is None and worker.served >= restart_every:
                        worker.stop()
                        pool[i] = worker = _Worker(context, worker.folder, memory_mb)
                    if worker.job is None and not worker.take(next(pending, None)):
                        continue
                busy = [w for w in pool if w.job is not None]
                if not busy:
                    return
                yield from _collect(busy, pool, context, time_limit, memory_mb)
        finally:
            for worker in pool:
                worker.stop()


def _collect(busy, pool, context, time_limit, memory_mb) -> Iterator[Result]:
    deadline = min(w.started for w in busy) + 2 * time_limit
    ready = multiprocessing.connection.wait([w.conn for w in busy],
                                            timeout=max(0.0, deadline - time.monotonic()))
    for worker in busy:
        if worker.conn in ready:
            result = worker.answer(time_limit, memory_mb)
        elif time.monotonic() >= worker.started + 2 * time_limit:
            result = Result(worker.job.name, "hang", f"no answer after {2 * time_limit:.0f} s",
                            time.monotonic() - worker.started, float("nan"), float("nan"))
            worker.served = -1  # killed below
        else:
            continue
        if worker.served < 0 or not worker.process.is_alive():
            worker.stop()
            pool[pool.index(worker)] = _Worker(context, worker.folder, memory_mb)
        worker.job = None
        yield result


class _Worker:
    def __init__(self, context, folder: Path, memory_mb: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, folder, memory_mb),
                                       daemon=True)
        self.process.start()
        child.close()
        self.job: FuzzInput | None = None
        self.started = 0.0
        self.served = 0

    def take(self, job: FuzzInput | None) -> bool:
        if job is None:
            return False
        self.job, self.started = job, time.monotonic()
        with contextlib.suppress(OSError):  # a dead worker: its answer reports it
            self.conn.send((job.suffix, job.data))
        return True

    def answer(self, time_limit: float, memory_mb: int) -> Result:
        name = self.job.name
        try:
            outcome, detail, seconds, cpu, peak = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            died = f"the worker died (exit code {code})"
            kind = "memory" if code == -signal.SIGKILL else "crash"  # SIGKILL: the OOM killer
            self.served = -1
            return Result(name, kind, died, time.monotonic() - self.started, float("nan"),
                          float("nan"))
        self.served += 1
        if outcome in ("ok", "clear error") and cpu > time_limit:
            outcome, detail = "hang", f"{cpu:.1f} s of CPU time; {detail}"
        if outcome in ("ok", "clear error") and peak > memory_mb:
            outcome, detail = "memory", f"{peak:.0f} MB at its peak; {detail}"
        return Result(name, outcome, detail, seconds, cpu, peak)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


# --- inside a worker ----------------------------------------------------------------------
def _serve(conn, folder: Path, memory_mb: int) -> None:
    from composer.music.files import read_score

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the parent, which stops us
    warnings.simplefilter("ignore")  # music21 warns of every oddity it reads past
    with contextlib.suppress(OSError, ValueError):
        size = int(_status_kb("VmSize") * 1024) + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    while True:
        try:
            suffix, data = conn.recv()
        except EOFError:
            return
        path = folder / f"fuzz-input{suffix}"
        path.write_bytes(data)
        del data
        conn.send(_read(read_score, path))
        path.unlink()


def _read(read_score, path: Path) -> tuple[str, str, float, float, float]:
    before = _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        read_score(path)
        outcome, detail = "ok", ""
    except Exception as exc:
        outcome, detail = _classify(exc, path.name)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return outcome, detail, wall, cpu, (_status_kb("VmHWM") - before) / 1024


def _classify(exc: BaseException, file_name: str) -> tuple[str, str]:
    from composer.music.errors import FileFormatError

    chain, seen = exc, []
    while chain is not None and chain not in seen:
        seen.append(chain)
        chain = chain.__cause__ or chain.__context__
    if any(isinstance(e, MemoryError) for e in seen):
        return "memory", f"MemoryError behind {type(exc).__name__}: {str(exc)[:300]}"
    if isinstance(exc, FileFormatError) and file_name in str(exc):
        return "clear error", str(exc)[:300]
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return "crash", (f"{type(exc).__name__}: {str(exc)[:300]} "
                     f"({Path(where.filename).name}:{where.lineno})")


def _reset_peak() -> float:
    """Resident memory now, in KB, after making it the new peak (Linux: clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _status_kb(field: str) -> float:
    try:
        status = Path(f"/proc/{os.getpid()}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith(field + ":")), None)
    return float(line.split()[1]) if line else 0.0
