"""One thread for torch's work while sampling, on the sampling thread alone.

The sampler's products are tiny; extra threads only contend for the cores. On this 2-core
machine two threads made a batch-8 torch.addmm 12x slower (269 us against 21), and on a
busy machine a 256-token torch forward 300x slower (OpenMP spin-waits).

torch.set_num_threads is not the way: besides the calling thread's count it sets the default
that every thread starts with when it first uses torch, so a training or render thread that
started during a generation would keep one thread for good, and two generations restoring
it in turn can leave either's value. So we set only the two per-thread counts torch's CPU
work obeys: OpenMP's (omp_set_num_threads changes the calling thread's count alone) and
MKL's thread-local one. Every other thread keeps its own, before, during and after.

numpy's OpenBLAS has only a process-wide count, so it is not touched; the stepper keeps its
products off OpenBLAS where OpenBLAS would spread them over threads (see stepper.py). Where
torch's OpenMP setters cannot be found (a build without OpenMP), the counts are left alone:
slower on a busy machine, never another thread's business. The compiled sampling loop
(compiled_kernels) calls neither torch nor BLAS: it runs on the sampling thread alone.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

Setter = Callable[[int], object]


def _loaded_libraries() -> list[str]:
    try:
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if ".so" in line})
    except OSError:  # not Linux: the global namespace below still has them
        return []


def _symbol(names: tuple[str, ...], paths: list[str | None]) -> Callable | None:
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            if hasattr(lib, name):
                return getattr(lib, name)
    return None


@lru_cache(maxsize=1)
def _per_thread_setters() -> tuple[Callable[[], int], Setter, Setter | None] | None:
    """OpenMP's get and set of the calling thread's count, and MKL's thread-local setter
    (which returns the previous value), from the libraries torch has loaded. torch's own
    copies come first: another OpenMP runtime in the process is not the one torch obeys."""
    import torch

    torch_dir = str(Path(torch.__file__).resolve().parent)
    paths: list[str | None] = [p for p in _loaded_libraries() if p.startswith(torch_dir)]
    paths.append(None)  # the global namespace (macOS, or a torch linked elsewhere)
    omp_get = _symbol(("omp_get_max_threads",), paths)
    omp_set = _symbol(("omp_set_num_threads",), paths)
    if omp_get is None or omp_set is None:
        return None
    mkl_set = _symbol(("MKL_Set_Num_Threads_Local", "mkl_set_num_threads_local"), paths)
    return omp_get, omp_set, mkl_set


@contextmanager
def single_thread() -> Iterator[None]:
    """torch's CPU work on the calling thread uses one thread inside the block."""
    import torch

    setters = _per_thread_setters()
    if setters is None:
        yield
        return
    omp_get, omp_set, mkl_set = setters
    torch.get_num_threads()  # torch sets a thread's counts on its first use: let it go first
    omp_before = omp_get()
    omp_set(1)
    mkl_before = mkl_set(1) if mkl_set is not None else None
    try:
        yield
    finally:
        omp_set(omp_before)
        if mkl_set is not None:
            mkl_set(mkl_before)
