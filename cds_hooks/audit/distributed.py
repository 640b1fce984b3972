"""The audit's per-partition function on Dask, for an archive larger than one machine.

Why Dask (not Spark): the per-patient function is Python (the service's own mappers, rules and
card renderer); Dask runs Python functions on Python workers with no JVM, no py4j serialisation
of every row and no second runtime to install and secure; ``pip install 'marrow-cds[dask]'``
is all a worker needs besides this package, and the same code runs in-process (tests), on a
laptop's cores, or on a cluster (``dask.distributed``: SSH, Kubernetes, HPC batch systems, YARN
via dask-yarn). The unit of work is a partition file of whole patients, so the engine needs no
shuffle: a ``dask.delayed`` call per partition is enough, which Dask schedules well.

``evaluate_with_dask(partitioned, task)`` submits ``task`` (``evaluate.evaluate_partition``
bound to the export's file names, ``as_of`` and the sample settings) for every partition and
yields the results in partition order, a bounded number at a time (``IN_FLIGHT`` per worker
thread), so that results.ndjson is written as they arrive and is byte for byte the file the
single-machine audit writes. The scheduler is Dask's current one: a ``dask.distributed.Client``
when one is active (``--scheduler ADDRESS`` connects one), else the local process pool. The
partition files must be readable by every worker (a shared folder: ``--out`` on shared storage).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .evaluate import PartitionResult
from .export import Partitioned

IN_FLIGHT = 4  # partitions submitted per worker thread ahead of the one being written


def _client() -> Any:
    """The current dask.distributed Client, or None (no cluster: Dask's local schedulers)."""
    try:
        from dask.distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def evaluate_with_dask(
    partitioned: Partitioned,
    task: Callable[[Path], PartitionResult],
    scheduler: str | None = None,
) -> Iterator[PartitionResult]:
    """Every partition through ``task`` on Dask, in partition order (module docstring)."""
    try:
        import dask.base
        from dask.delayed import delayed as dask_delayed
    except ImportError as exc:  # pragma: no cover - said to the user
        raise SystemExit(
            "marrow-cds audit --engine dask needs Dask: pip install 'marrow-cds[dask]'"
        ) from exc
    compute: Callable[..., tuple[PartitionResult, ...]] = dask.base.compute
    delayed: Callable[..., Any] = dask_delayed
    paths = list(partitioned.partitions)
    client = _client()
    if client is not None:
        threads = max(1, sum(client.nthreads().values()))
    else:  # local mode: Dask's process pool unless another local scheduler is named
        threads = os.cpu_count() or 1
        scheduler = scheduler or "processes"
    batch = threads * IN_FLIGHT
    options: dict[str, Any] = {}
    pool = None
    if scheduler == "processes":
        # One pool for every batch, forked after the parent loaded the UCUM registry (Dask's own
        # pool would spawn fresh interpreters that each load it again).
        pool = ProcessPoolExecutor(threads, mp_context=multiprocessing.get_context("fork"))
        options["pool"] = pool
    if scheduler is not None:
        options["scheduler"] = scheduler
    try:
        for start in range(0, len(paths), batch):
            calls = [delayed(task)(path) for path in paths[start : start + batch]]
            yield from compute(*calls, **options)
    finally:
        if pool is not None:
            pool.shutdown()
