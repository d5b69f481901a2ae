"""map_jobs: the results in job order, alone or in worker processes, and the torch thread count
restored."""

import operator

import pytest
import torch

from chapter_code.parallel import map_jobs


def _no_progress(iterable, **kwargs):
    return iterable


def _set_threads_and_add(a, b):
    torch.set_num_threads(1)
    return a + b


@pytest.mark.unit
@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_back_in_job_order(workers):
    jobs = [(i, 10 * i) for i in range(5)]
    assert map_jobs(operator.add, jobs, workers, _no_progress, "jobs") == [0, 11, 22, 33, 44]


@pytest.mark.unit
def test_the_callers_thread_count_is_restored():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert map_jobs(_set_threads_and_add, [(1, 2)], 1, _no_progress, "jobs") == [3]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.unit
def test_bad_workers_raise():
    with pytest.raises(ValueError, match="workers"):
        map_jobs(operator.add, [(1, 2)], 0, _no_progress, "jobs")
