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
    step_mode: int
    step_gyro_axis: int
    step_swing_min_dps: int
    step_hs_level_dps: int
    step_stance_min: int
    step_half_stride: int
    step_max_stride: int
    step_contra_slack: int
    step_gyro_delay: int
    step_trunk_fast: int
    step_trunk_slow: int
    walk_start_steps: int
    walk_max_gap: int
    fall_impact_mg: int
    fall_settle: int
    fall_still: int
    fall_still_mg: int
    fall_max_cos_permille: int
    fall_ref_delay: int
    fall_ref_samples: int
    fall_wait: int
    fall_rate_dps: int
    fall_rate_samples: int
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
            "step_mode": "STEP_MODE",
            "step_gyro_axis": "STEP_GYRO_AXIS",
            "step_swing_min_dps": "STEP_SWING_MIN_DPS",
            "step_hs_level_dps": "STEP_HS_LEVEL_DPS",
            "step_stance_min": "STEP_STANCE_MIN",
            "step_half_stride": "STEP_HALF_STRIDE_SAMPLES",
            "step_max_stride": "STEP_MAX_STRIDE_SAMPLES",
            "step_contra_slack": "STEP_CONTRA_SLACK_SAMPLES",
            "step_gyro_delay": "STEP_GYRO_DELAY_SAMPLES",
            "step_trunk_fast": "STEP_TRUNK_FAST_SHIFT",
            "step_trunk_slow": "STEP_TRUNK_SLOW_SHIFT",
            "walk_start_steps": "WALK_START_STEPS",
            "walk_max_gap": "WALK_MAX_GAP_SAMPLES",
            "fall_impact_mg": "FALL_IMPACT_MG",
            "fall_settle": "FALL_SETTLE_SAMPLES",
            "fall_still": "FALL_STILL_SAMPLES",
            "fall_still_mg": "FALL_STILL_MG",
            "fall_max_cos_permille": "FALL_MAX_COS_PERMILLE",
            "fall_ref_delay": "FALL_REF_DELAY_SAMPLES",
            "fall_ref_samples": "FALL_REF_SAMPLES",
            "fall_wait": "FALL_WAIT_SAMPLES",
            "fall_rate_dps": "FALL_RATE_DPS",
            "fall_rate_samples": "FALL_RATE_SAMPLES",
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

    @property
    def gyro_steps(self) -> bool:
        """Angular-rate step detection: asked for, and the selected gyro channel is enabled."""
        return self.step_mode == 1 and bool((self.channel_enable >> self.gyro_channel) & 1)

    @property
    def fall_turn_limit(self) -> int:
        """ref · post below this = gravity turned: FALL_MAX_COS_PERMILLE scaled by the two
        windows' lengths and 1 g (1000 mg) each."""
        return self.fall_max_cos_permille * self.fall_ref_samples * self.fall_still * 1000

    @property
    def fall_rate_level(self) -> int:
        """The rate condition in gyro codes (0.1 deg/s); 0 = no condition, as when every gyro
        channel is disabled (a chip run without its gyroscope still detects falls)."""
        return 10 * self.fall_rate_dps if (self.channel_enable >> 3) & 7 else 0

    @property
    def trunk_steps(self) -> bool:
        """Trunk step detection: the peaks of |a| band-passed, not its sharpness."""
        return self.step_mode == 2

    @property
    def gyro_channel(self) -> int:
        return 3 + self.step_gyro_axis % 3

    @property
    def gyro_negate(self) -> bool:
        return self.step_gyro_axis >= 3
