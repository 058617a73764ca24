"""A short fuzzing run: a few hundred mutated MIDI and MusicXML files through import, each
in a worker under a memory limit. benchmarks/bench_fuzz_import.py runs 10,000 of each
with the 2 s limit; here the time limit only catches an import that never ends, so a busy
machine cannot fail the test."""

from collections import Counter

import pytest

from .fuzz_inputs import inputs, seed_files
from .fuzz_runner import run_inputs

INPUTS = 150


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return seed_files(tmp_path_factory.mktemp("seeds"), chorales=2)


@pytest.mark.parametrize("suffixes", [(".mid",), (".musicxml", ".mxl")], ids=["midi", "xml"])
def test_mutated_files_import_or_are_refused_clearly(seeds, suffixes):
    chosen = [p for p in seeds if p.suffix in suffixes]
    results = list(run_inputs(inputs(chosen, INPUTS, seed=7), time_limit=30.0))
    counts = Counter(r.outcome for r in results)
    bad = [f"{r.outcome}: {r.name}: {r.detail}" for r in results
           if r.outcome not in ("ok", "clear error")]
    assert not bad, "\n".join(bad)
    assert sum(counts.values()) == INPUTS
    assert counts["ok"] and counts["clear error"], counts  # the mutations do both
