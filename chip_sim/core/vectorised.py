"""The digital core with numpy: the same events as ``reference``, computed over whole arrays.

Filters, features and run lengths are array operations; the few stateful decisions (adaptive step
threshold, walking bouts, fall arming, overload and temperature hysteresis) run in Python over
the sparse candidates only, so a day at 100 Hz costs a fraction of a second.
"""

from __future__ import annotations

import numpy as np

from chip_sim.core.config import CoreConfig
from chip_sim.core.events import STATUS_DTYPE
from chip_sim.icd import CHANNELS, NO_DATA_CODE, EventCode

FULL_SCALE = np.array([c.full_scale_code for c in CHANNELS], dtype=np.int64)


def runs(cond: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-open runs [start, end) of True in a boolean array, found from its edges (sparse:
    memory and time scale with the array once, then with the number of runs)."""
    edges = np.diff(cond.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def isqrt_array(x: np.ndarray) -> np.ndarray:
    """Exact floor(sqrt(x)) for non-negative integers x < 2**52 held in float64: sqrt is correctly
    rounded, and below 2**52 rounding can never reach the next integer."""
    return np.floor(np.sqrt(x)).astype(np.int32)


def run_epoch(codes: np.ndarray, cfg: CoreConfig, *, offset: int, reset_reason: int):
    n = len(codes)
    ev: list[tuple[int, int, int, int]] = [(offset, 0, int(EventCode.RESET), reset_reason)]

    def emit(i: int, code: int, value: int) -> None:
        ev.append((offset + int(i), int(i), int(code), int(value)))

    if n == 0:
        return ev, []
    enabled = [(cfg.channel_enable >> ch) & 1 == 1 for ch in range(8)]
    column = _columns(codes, cfg)
    ax, ay, az, valid, mag = _acceleration(column)

    # --- faults: sparse runs; ``active`` keeps (start, end) intervals per channel for STATUS ----
    active: list[tuple[int, int, int]] = []  # (channel, first active sample, end)
    for ch in range(8):
        if not enabled[ch]:
            continue
        x = codes[:, ch]
        fs = int(FULL_SCALE[ch])
        # NO_DATA (−32768) lies below −full scale, so "at or beyond full scale" must exclude it.
        drop = x == NO_DATA_CODE
        any_drop = bool(drop.any())
        sat = (x >= fs) | (x <= -fs)
        if any_drop:
            sat &= ~drop
        checks = [(EventCode.FAULT_SATURATION, sat, cfg.fault_sat, 0)]
        if any_drop:
            checks.append((EventCode.FAULT_DROPOUT, drop, cfg.fault_dropout, 0))
        if (cfg.fault_stuck_mask >> ch) & 1:
            # A run of k equal codes is a run of k − 1 "same as before" samples; a code held at
            # full scale is saturation, not a stuck sensor (nor is a held NO_DATA).
            same = np.zeros(n, dtype=bool)
            np.equal(x[1:], x[:-1], out=same[1:])
            if any_drop or sat.any():
                plain = ~(drop | sat)
                same[1:] &= plain[1:] & plain[:-1]
            checks.append((EventCode.FAULT_STUCK, same, cfg.fault_stuck - 1, -1))
        for code, cond, k, shift in checks:
            s0, e0 = runs(cond)
            long = (e0 - s0) >= max(k, 1)
            for a, b in zip(s0[long].tolist(), e0[long].tolist(), strict=True):
                first = a + max(k, 1) - 1 + (0 if k >= 1 else shift)
                if k == 0:  # a stuck threshold of one repeat: the first repeat itself
                    first = a
                emit(first, code, ch)
                active.append((ch, first, b))

    # --- steps and walking bouts -------------------------------------------------------------
    steps = (
        gyro_steps(column(cfg.gyro_channel), mag, cfg) if cfg.gyro_steps else _acc_steps(mag, cfg)
    )
    for k, i in enumerate(steps):
        emit(i, EventCode.STEP, k + 1)
    gap = cfg.walk_max_gap
    bout_active, run_steps, bout_steps, last_step = False, 0, 0, None
    for d in steps:
        if bout_active and d - last_step > gap:
            emit(last_step + gap + 1, EventCode.WALK_END, bout_steps)
            bout_active = False
        run_steps = 1 if last_step is None or d - last_step > gap else run_steps + 1
        last_step = d
        if bout_active:
            bout_steps += 1
        elif run_steps >= cfg.walk_start_steps:
            bout_active, bout_steps = True, run_steps
            emit(d, EventCode.WALK_START, 0)
    if bout_active and last_step + gap + 1 < n:
        emit(last_step + gap + 1, EventCode.WALK_END, bout_steps)

    # --- falls: only the impacts are examined, on slices --------------------------------------
    _falls(ax, ay, az, valid, mag, [column(ch) for ch in (3, 4, 5)], cfg, emit)

    # --- overload ----------------------------------------------------------------------------
    raw = column(6)
    load = np.where(raw == NO_DATA_CODE, np.int16(0), raw)
    # The end of an overload is the first sample below limit − hysteresis: the end of the run of
    # "not below" samples that holds the decision.
    hold_s, hold_e = runs(load >= cfg.overload_limit - cfg.overload_hyst)
    s0, e0 = runs(load > cfg.overload_limit)
    busy = -1
    for a, b in zip(s0.tolist(), e0.tolist(), strict=True):
        if b - a < cfg.overload_min or a <= busy:
            continue
        decided = a + cfg.overload_min - 1
        emit(decided, EventCode.OVERLOAD_START, load[a])
        end = int(hold_e[np.searchsorted(hold_s, decided, side="right") - 1])
        if end >= n:
            break
        emit(end, EventCode.OVERLOAD_END, end - a)
        busy = end

    # --- temperature -------------------------------------------------------------------------
    temp = column(7)
    t_valid = temp != NO_DATA_CODE
    # Re-armed at the first valid sample below limit − hysteresis after the last TEMP_HIGH.
    wait_s, wait_e = runs(~(t_valid & (temp < cfg.temp_high_limit - cfg.temp_hyst)))
    s0, e0 = runs(t_valid & (temp > cfg.temp_high_limit))
    last = None
    for a, b in zip(s0.tolist(), e0.tolist(), strict=True):
        if b - a < cfg.temp_min:
            continue
        i = a + cfg.temp_min - 1
        if last is not None:
            k = np.searchsorted(wait_s, last + 1, side="right") - 1
            rearm = int(wait_e[k]) if k >= 0 and wait_e[k] > last + 1 else last + 1
            if rearm > i:
                continue
        emit(i, EventCode.TEMP_HIGH, temp[i])
        last = i

    # --- status ------------------------------------------------------------------------------
    p = cfg.status_period
    at = np.arange(p - 1, n, p)
    status = np.zeros(len(at), dtype=STATUS_DTYPE)
    status["stream_index"] = offset + at
    status["sample_index"] = at
    status["step_count"] = np.searchsorted(np.array(steps, dtype=np.int64), at, side="right")
    flags = np.zeros(len(at), dtype=np.int64)
    for ch, a, b in active:
        lo, hi = np.searchsorted(at, [a, b])
        flags[lo:hi] |= 1 << ch
    status["fault_flags"] = flags
    return ev, list(map(tuple, status.tolist()))


def _columns(codes: np.ndarray, cfg: CoreConfig):
    """Channel k's codes, NO_DATA while CHANNEL_ENABLE disables it."""
    n = len(codes)

    def column(ch: int) -> np.ndarray:
        if (cfg.channel_enable >> ch) & 1:
            return codes[:, ch]
        return np.full(n, NO_DATA_CODE, dtype=np.int16)

    return column


def _acceleration(column):
    """(ax, ay, az, valid, mag): mag = isqrt(ax² + ay² + az²), 1000 where an axis has no data."""
    ax, ay, az = column(0), column(1), column(2)
    valid = (ax != NO_DATA_CODE) & (ay != NO_DATA_CODE) & (az != NO_DATA_CODE)
    sq = ax.astype(np.float64) ** 2
    sq += ay.astype(np.float64) ** 2
    sq += az.astype(np.float64) ** 2
    return ax, ay, az, valid, np.where(valid, isqrt_array(sq), np.int32(1000))


def fall_decisions_of(codes: np.ndarray, cfg: CoreConfig) -> list[tuple[int, int, int, int]]:
    """:func:`fall_decisions` of one epoch's codes."""
    column = _columns(codes, cfg)
    return fall_decisions(*_acceleration(column), [column(ch) for ch in (3, 4, 5)], cfg)


def _falls(ax, ay, az, valid, mag, gyro, cfg: CoreConfig, emit) -> None:
    for j, peak, dot, rate_at in fall_decisions(ax, ay, az, valid, mag, gyro, cfg):
        if dot < cfg.fall_turn_limit and rate_at >= cfg.fall_rate_level:
            emit(j, EventCode.FALL, peak)


def fall_decisions(
    ax, ay, az, valid, mag, gyro, cfg: CoreConfig
) -> list[tuple[int, int, int, int]]:
    """Every sample at which the fall rule of ``reference`` decides (its stillness complete), as
    (sample, peak mg, reference · stillness, turn rate in codes); FALL where the dot product is
    below the turn limit and the rate (the largest at any impact of the episode) reaches
    FALL_RATE_DPS. Each impact re-arms the detector, so impact i looks for its stillness before
    the next impact only. Which samples decide does not depend on FALL_MAX_COS_PERMILLE or
    FALL_RATE_DPS (tools/tune_falls.py relies on it)."""
    n = len(mag)
    reach = cfg.fall_ref_delay + cfg.fall_ref_samples - 1
    impacts = np.flatnonzero(valid & (mag >= cfg.fall_impact_mg))
    impacts = impacts[impacts >= reach].tolist()
    out: list[tuple[int, int, int, int]] = []
    if not impacts:
        return out
    settle, still, wait, n_ref = (
        cfg.fall_settle,
        cfg.fall_still,
        cfg.fall_wait,
        cfg.fall_ref_samples,
    )
    is_still = valid & (np.abs(mag - 1000) <= cfg.fall_still_mg)
    idx = np.arange(n)
    run = idx - np.maximum.accumulate(np.where(is_still, -1, idx))  # still samples ending at j
    rate = np.zeros(n, dtype=np.int32)
    for g in gyro:
        rate = np.maximum(rate, np.where(g == NO_DATA_CODE, 0, np.abs(g.astype(np.int32))))
    acc = (ax, ay, az)
    peak = None  # the episode's peak and turn rate while armed (None: disarmed)
    held = 0
    for k, i in enumerate(impacts):
        nxt = impacts[k + 1] if k + 1 < len(impacts) else n
        tracked = int(mag[i : min(i + settle, nxt - 1) + 1].max())
        rate_now = int(rate[max(0, i - cfg.fall_rate_samples + 1) : i + 1].max())
        held = rate_now if peak is None else max(held, rate_now)
        peak = tracked if peak is None else max(peak, tracked)
        give_up = i + settle + wait + still
        lo, hi = i + settle + still, min(give_up, nxt - 1, n - 1)
        hits = np.flatnonzero(run[lo : hi + 1] >= still) if lo <= hi else []
        if not len(hits):
            if hi == give_up:  # disarmed before the next impact: a new episode follows
                peak = None
            continue
        j = lo + int(hits[0])
        r0 = i - reach
        ok = valid[r0 : r0 + n_ref]
        ref = [int(np.where(ok, a[r0 : r0 + n_ref], 0).astype(np.int64).sum()) for a in acc]
        post = [int(a[j - still + 1 : j + 1].astype(np.int64).sum()) for a in acc]
        dot = ref[0] * post[0] + ref[1] * post[1] + ref[2] * post[2]
        out.append((j, peak, dot, held))
        peak = None
    return out


def _sharpness_peaks(mag: np.ndarray, cfg: CoreConfig) -> tuple[np.ndarray, np.ndarray]:
    """Samples i deciding a local maximum of the sharpness at i − 1 that reaches the floor
    STEP_SHARP_MIN_MG, and that maximum (the adaptive part of the threshold is stateful)."""
    r = np.zeros(len(mag), dtype=np.int32)
    r[2:] = mag[2:] - 2 * mag[1:-1] + mag[:-2]
    return _peaks(r, cfg)


def _peaks(r: np.ndarray, cfg: CoreConfig) -> tuple[np.ndarray, np.ndarray]:
    """Samples i >= 2 deciding a local maximum of ``r`` at i − 1 that reaches the floor
    STEP_SHARP_MIN_MG, and that maximum."""
    if len(r) <= 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rp, rpp, rc = r[1:-1], r[:-2], r[2:]
    cand = np.flatnonzero((rp >= cfg.step_sharp_min_mg) & (rp >= rpp) & (rp > rc)) + 2
    return cand, r[cand - 1].astype(np.int64)


def trunk_signal(mag: np.ndarray, cfg: CoreConfig) -> np.ndarray:
    """STEP_MODE 2's x: the fast running mean of |a| minus the slow one, in mg (rules in
    ``reference``). The floor of each shift makes the means non-linear, so they run as a loop —
    about 0.5 µs a sample, paid only by trunk-mode runs."""
    fast, slow = cfg.step_trunk_fast, cfg.step_trunk_slow
    f = s = 1000 << 4
    out = [0] * len(mag)
    for i, m in enumerate((mag.astype(np.int64) << 4).tolist()):
        f += (m - f) >> fast
        s += (m - s) >> slow
        out[i] = (f - s) >> 4
    return np.asarray(out, dtype=np.int64)


def _acc_steps(mag: np.ndarray, cfg: CoreConfig) -> list[int]:
    """STEP_MODE 0: local maxima of the |acc| sharpness that pass the adaptive threshold;
    STEP_MODE 2: the same rules on the band-passed |a| (``trunk_signal``)."""
    cand, peaks = (
        _peaks(trunk_signal(mag, cfg), cfg) if cfg.trunk_steps else _sharpness_peaks(mag, cfg)
    )
    steps: list[int] = []
    peak_avg, last_peak = 0, None
    for i, rp in zip(cand.tolist(), peaks.tolist(), strict=True):
        if rp < max(cfg.step_sharp_min_mg, peak_avg >> cfg.step_adapt_shift):
            continue
        if last_peak is not None and (i - 1) - last_peak < cfg.step_refractory:
            continue
        peak_avg += (rp - peak_avg) >> 2
        last_peak = i - 1
        steps.append(i)
    return steps


def gyro_steps(raw: np.ndarray, mag: np.ndarray, cfg: CoreConfig) -> list[int]:
    """STEP_MODE 1: the instrumented leg's heel strikes from the sagittal rate; the other leg's
    step in the window after each (rules in ``reference``)."""
    w = raw.astype(np.int32)
    w[raw == NO_DATA_CODE] = 0
    if cfg.gyro_negate:
        np.negative(w, out=w)
    n = len(w)
    # Sparse forms of the two conditions: the runs of swing samples, and the samples where the
    # rate reaches the reversal level after one that did not (the first such sample after a
    # swing sample is always one of these: a swing sample is below the level).
    arm_s, arm_e = runs(w <= -10 * cfg.step_swing_min_dps)
    above = w >= 10 * cfg.step_hs_level_dps
    fire = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    # A heel strike is the first "reversed" sample after a swing sample that came once the
    # previous heel strike's STEP was decided (the levels are disjoint: no sample does both).
    delay = cfg.step_gyro_delay
    hs: list[int] = []
    pos = 0
    while True:
        k = int(np.searchsorted(arm_e, pos, side="right"))  # the first run ending after pos
        if k == len(arm_s):
            break
        a = max(int(arm_s[k]), pos)
        f = int(np.searchsorted(fire, a, side="right"))
        if f == len(fire):
            break
        hs.append(int(fire[f]))
        pos = hs[-1] + delay
    if not hs:
        return []
    cs = np.cumsum(w, dtype=np.int64)
    cand, peaks = _sharpness_peaks(mag, cfg)
    cand_l, peaks_l = cand.tolist(), peaks.tolist()
    level = 10 * cfg.step_stance_min
    steps: list[int] = []
    peak_avg = 0
    for j, h in enumerate(hs):
        if h + delay < n:
            steps.append(h + delay)
        nxt = hs[j + 1] if j + 1 < len(hs) else n  # the window ends before the next heel strike
        stride = h - hs[j - 1] if j else None
        half = (
            stride >> 1
            if stride is not None and stride <= cfg.step_max_stride
            else (cfg.step_half_stride)
        )
        close = h + half + cfg.step_contra_slack
        last = min(close, nxt - 1)
        first = h + max(cfg.step_refractory, delay + 1, half - cfg.step_contra_slack)
        lo = int(np.searchsorted(cand, first))
        found = False
        for c in range(lo, len(cand_l)):
            i = cand_l[c]
            if i > last:
                break
            rp = peaks_l[c]
            if rp >= max(cfg.step_sharp_min_mg, peak_avg >> cfg.step_adapt_shift) and (
                cs[i] - cs[h] >= level
            ):
                peak_avg += (rp - peak_avg) >> 2
                steps.append(i)
                found = True
                break
        if not found and close < nxt and cs[close] - cs[h] >= level:
            steps.append(close)
    return steps
