"""A generation runs torch on one thread, and only its own thread: training or rendering
beside it, and threads started while it runs, keep their thread counts."""

import threading

import pytest
import torch

from composer.ml.blas import single_thread
from composer.ml.generate import load_sampler
from composer.ml.operations import continue_score
from composer.ml.sampling import SamplingOptions

OTHERS = 3  # a count no generation would choose, so a leak shows


@pytest.fixture()
def process_threads():
    """torch's default for new threads and the main thread's count set to OTHERS."""
    before = torch.get_num_threads()
    torch.set_num_threads(OTHERS)
    yield
    torch.set_num_threads(before)


class PausedGeneration:
    """A continuation on a worker thread that stops in its first progress call until
    released, recording the thread counts it sees."""

    def __init__(self, sampler, seed) -> None:
        self.inside = self.after = None
        self.started, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, args=(sampler, seed))
        self.thread.start()
        assert self.started.wait(30)

    def _run(self, sampler, seed) -> None:
        def progress(done: int, total: int) -> None:
            if not self.started.is_set():
                self.inside = torch.get_num_threads()
                self.started.set()
                self.release.wait(30)

        continue_score(sampler, seed, 1, SamplingOptions(seed=0), progress=progress)
        self.after = torch.get_num_threads()

    def finish(self) -> None:
        self.release.set()
        self.thread.join(30)


def count_on_a_new_thread() -> int:
    seen = []
    thread = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    return seen[0]


def test_a_generation_uses_one_thread_and_leaves_every_other_threads_count(
        process_threads, small_corpus):
    seed = small_corpus.entries[1].score.slice(0, 64)
    generation = PausedGeneration(load_sampler("lstm"), seed)
    try:
        assert generation.inside == 1
        assert torch.get_num_threads() == OTHERS  # a thread that was running (training)
        assert count_on_a_new_thread() == OTHERS  # one started during the generation
    finally:
        generation.finish()
    assert generation.after == OTHERS
    assert count_on_a_new_thread() == OTHERS


def test_overlapping_generations_each_give_back_their_own_threads_count(
        process_threads, small_corpus):
    seed = small_corpus.entries[1].score.slice(0, 64)
    first = PausedGeneration(load_sampler("lstm"), seed)
    second = PausedGeneration(load_sampler("gru"), seed)
    first.finish()  # the first ends while the second still runs, then the second
    assert torch.get_num_threads() == OTHERS and count_on_a_new_thread() == OTHERS
    second.finish()
    assert (first.inside, second.inside) == (1, 1)
    assert (first.after, second.after) == (OTHERS, OTHERS)
    assert torch.get_num_threads() == OTHERS and count_on_a_new_thread() == OTHERS


def test_the_calling_thread_gets_its_count_back_even_when_the_work_fails(process_threads):
    with pytest.raises(RuntimeError), single_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError("the generation failed")
    assert torch.get_num_threads() == OTHERS
