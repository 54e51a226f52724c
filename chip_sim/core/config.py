"""Detector settings as the core sees them: the register values, typed and named."""

from __future__ import annotations

from dataclasses import dataclass, fields

from chip_sim.registers import RegisterFile


@dataclass(frozen=True)
class CoreConfig:
    channel_enable: int
    status_period: int
    step_sharp_min_mg: int
    step_adapt_shift: int
    step_refractory: int
    walk_start_steps: int
    walk_max_gap: int
    fall_impact_mg: int
    fall_settle: int
    fall_still: int
    fall_still_mg: int
    fall_max_cos_permille: int
    fall_ref_delay: int
    fall_ref_samples: int
    overload_limit: int
    overload_min: int
    overload_hyst: int
    temp_high_limit: int
    temp_hyst: int
    temp_min: int
    fault_sat: int
    fault_stuck: int
    fault_stuck_mask: int
    fault_dropout: int

    @classmethod
    def from_registers(cls, regs: RegisterFile) -> CoreConfig:
        names = {
            "channel_enable": "CHANNEL_ENABLE",
            "status_period": "STATUS_PERIOD_SAMPLES",
            "step_sharp_min_mg": "STEP_SHARP_MIN_MG",
            "step_adapt_shift": "STEP_ADAPT_SHIFT",
            "step_refractory": "STEP_REFRACTORY_SAMPLES",
            "walk_start_steps": "WALK_START_STEPS",
            "walk_max_gap": "WALK_MAX_GAP_SAMPLES",
            "fall_impact_mg": "FALL_IMPACT_MG",
            "fall_settle": "FALL_SETTLE_SAMPLES",
            "fall_still": "FALL_STILL_SAMPLES",
            "fall_still_mg": "FALL_STILL_MG",
            "fall_max_cos_permille": "FALL_MAX_COS_PERMILLE",
            "fall_ref_delay": "FALL_REF_DELAY_SAMPLES",
            "fall_ref_samples": "FALL_REF_SAMPLES",
            "overload_limit": "OVERLOAD_LIMIT",
            "overload_min": "OVERLOAD_MIN_SAMPLES",
            "overload_hyst": "OVERLOAD_HYST",
            "temp_high_limit": "TEMP_HIGH_LIMIT",
            "temp_hyst": "TEMP_HYST",
            "temp_min": "TEMP_MIN_SAMPLES",
            "fault_sat": "FAULT_SAT_SAMPLES",
            "fault_stuck": "FAULT_STUCK_SAMPLES",
            "fault_stuck_mask": "FAULT_STUCK_MASK",
            "fault_dropout": "FAULT_DROPOUT_SAMPLES",
        }
        assert set(names) == {f.name for f in fields(cls)}
        return cls(**{k: regs[v] for k, v in names.items()})
