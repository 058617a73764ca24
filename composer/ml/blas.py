"""One thread, for numpy's BLAS and for torch, while sampling.

The sampler's products are tiny; extra threads only contend for the cores. On this busy
2-core machine they made a 1024-token run 30x slower (OpenBLAS) and a 256-token torch
forward 300x slower (OpenMP spin-waits). numpy does not expose its thread count, so we
call OpenBLAS's own setter in the library numpy has loaded.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")


@lru_cache(maxsize=1)
def _openblas():
    import numpy  # noqa: F401  (loads the library)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is not None and getter is not None:
            return setter, getter
    return None


@contextmanager
def single_thread() -> Iterator[None]:
    import torch

    found = _openblas()
    torch_before = torch.get_num_threads()
    torch.set_num_threads(1)
    blas_before = found[1]() if found else None
    if found:
        found[0](1)
    try:
        yield
    finally:
        torch.set_num_threads(torch_before)
        if found:
            found[0](blas_before)
