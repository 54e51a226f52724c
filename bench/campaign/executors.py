"""Where campaign tasks run: a local process pool, or a Dask distributed cluster.

Both are :class:`concurrent.futures.Executor`; :func:`bench.campaign.run_campaign` only submits
and collects, so a campaign does not know which one it runs on. Shut the executor down when done
(``with`` does it): for Dask that also closes the client's connection to the scheduler.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bench.errors import BenchError

MAX_WORKERS = 64
CONNECT_TIMEOUT_S = 10.0


class CampaignError(BenchError):
    """A campaign cannot run as asked (names the scenario, seed or option and what was expected)."""


class SchedulerUnreachableError(CampaignError):
    """The Dask scheduler at the given address did not answer within the timeout."""

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        super().__init__(
            f"Dask scheduler {address}: not reachable ({reason}); expected a running "
            "`dask scheduler` at that address"
        )


def local_executor(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` processes started with ``spawn`` (no state inherited by fork)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise CampaignError(f"workers {workers!r}: expected an integer in 1..{MAX_WORKERS}")
    return cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )


def parse_scheduler_address(address: str) -> tuple[str, int]:
    """(host, port) of ``tcp://HOST:PORT``; :class:`CampaignError` for anything else."""
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise CampaignError(f"scheduler address {address!r}: expected tcp://HOST:PORT")
    return parts.hostname, port


class DaskExecutor(cf.Executor):
    """``Client(address).get_executor()`` that also closes the client on :meth:`shutdown`.

    ``client`` is the :class:`distributed.Client`, for questions about the cluster (workers,
    ``who_has``)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._executor = client.get_executor(pure=False)

    @property
    def address(self) -> str:
        return str(self.client.scheduler.address)

    def n_workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            self._executor.shutdown(wait=wait and not cancel_futures)
        finally:
            self.client.close()


def dask_executor(address: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> DaskExecutor:
    """An executor on the Dask cluster whose scheduler listens at ``tcp://HOST:PORT``.

    Raises :class:`SchedulerUnreachableError` (naming the address) when nothing answers there
    within ``timeout_s``; a refused connection fails at once."""
    host, port = parse_scheduler_address(address)
    try:  # a plain TCP probe first: a refused port fails now, not after the client's retries
        socket.create_connection((host, port), timeout=timeout_s).close()
    except TimeoutError:
        raise SchedulerUnreachableError(address, f"no answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise SchedulerUnreachableError(address, exc.strerror or str(exc)) from None
    from distributed import Client

    try:
        client = Client(address, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachableError(
            address, timeout_s, str(exc) or type(exc).__name__
        ) from None
    return DaskExecutor(client)


def describe(executor: cf.Executor) -> str:
    """One phrase naming where the tasks run, for the records and the console."""
    if isinstance(executor, DaskExecutor):
        return f"Dask cluster at {executor.address} ({executor.n_workers()} workers)"
    if isinstance(executor, cf.ProcessPoolExecutor):
        return f"local process pool ({executor._max_workers} workers)"
    return type(executor).__name__
