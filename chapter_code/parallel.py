"""Run an experiment's independent training jobs one after another or in worker processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import torch

from chapter_code._checks import check_int

T = TypeVar("T")


def map_jobs(function: Callable[..., T], jobs: Sequence[tuple[Any, ...]], workers: int,
             progress: Callable[..., Any], desc: str) -> list[T]:
    """``[function(*job) for job in jobs]``, in job order. With ``workers`` > 1 that many jobs
    run at once, each in a spawned process (a fresh interpreter: no threads forked mid-work);
    ``function`` must then be importable by name. The caller's torch thread count is restored
    afterwards, whatever the jobs set."""
    workers = check_int("workers", workers, minimum=1)
    threads = torch.get_num_threads()
    try:
        if workers > 1:
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
                futures = [pool.submit(function, *job) for job in jobs]
                return [future.result() for future in progress(futures, desc=desc)]
        return [function(*job) for job in progress(jobs, desc=desc)]
    finally:
        torch.set_num_threads(threads)
