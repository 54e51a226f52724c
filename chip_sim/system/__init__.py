"""System model (issue 7): implant, RF link, phone, cloud and notifications as SimPy processes —
end-to-end latency per hop, what is lost and the energy it costs."""

from chip_sim.system.config import (
    EnergyConfig,
    LinkConfig,
    PowerConfig,
    ScheduleConfig,
    SystemConfig,
)
from chip_sim.system.model import SystemResult, run_system

__all__ = [
    "EnergyConfig",
    "LinkConfig",
    "PowerConfig",
    "ScheduleConfig",
    "SystemConfig",
    "SystemResult",
    "run_system",
]
