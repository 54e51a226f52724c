"""Campaigns: many (scenario, seed) runs of the golden pipeline spread over processes or a Dask
cluster, recorded as one hash-chained run and pooled into figures with confidence intervals.

:mod:`.tasks` is the self-contained task a worker runs; :mod:`.executors` says where tasks run
(a local spawn process pool or a Dask distributed cluster); :mod:`.runner` submits, records, pools
and indexes.
"""

from bench.campaign.executors import (
    CampaignError,
    DaskExecutor,
    SchedulerUnreachableError,
    dask_executor,
    local_executor,
)
from bench.campaign.runner import (
    ALL,
    DEFAULT_STORE,
    CampaignResult,
    Pooled,
    TaskError,
    pool,
    run_campaign,
    validate_plan,
)
from bench.campaign.tasks import outcome, run_task

__all__ = [
    "ALL",
    "DEFAULT_STORE",
    "CampaignError",
    "CampaignResult",
    "DaskExecutor",
    "Pooled",
    "SchedulerUnreachableError",
    "TaskError",
    "dask_executor",
    "local_executor",
    "outcome",
    "pool",
    "run_campaign",
    "run_task",
    "validate_plan",
]
