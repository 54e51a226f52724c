"""The digital core with numpy: the same events as ``reference``, computed over whole arrays.

Filters, features and run lengths are array operations; the few stateful decisions (adaptive step
threshold, walking bouts, fall arming, overload and temperature hysteresis) run in Python over
the sparse candidates only, so a day at 100 Hz costs a fraction of a second.
"""

from __future__ import annotations

import numpy as np

from chip_sim.core.config import CoreConfig
from chip_sim.core.events import STATUS_DTYPE, canonical
from chip_sim.icd import CHANNELS, NO_DATA_CODE, EventCode

FULL_SCALE = np.array([c.full_scale_code for c in CHANNELS], dtype=np.int64)


def run_length(cond: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at each index (0 where False)."""
    idx = np.arange(len(cond), dtype=np.int64)
    last_false = np.maximum.accumulate(np.where(cond, -1, idx))
    return np.where(cond, idx - last_false, 0)


def next_true(cond: np.ndarray) -> np.ndarray:
    """Smallest index j ≥ i with cond[j] (len(cond) where none)."""
    n = len(cond)
    idx = np.where(cond, np.arange(n), n)
    return np.minimum.accumulate(idx[::-1])[::-1]


def isqrt_array(x: np.ndarray) -> np.ndarray:
    """Exact floor(sqrt(x)) for non-negative int64 x < 2**52."""
    k = np.floor(np.sqrt(x.astype(np.float64))).astype(np.int64)
    k -= (k * k > x).astype(np.int64)
    k += ((k + 1) * (k + 1) <= x).astype(np.int64)
    return k


def run_epoch(codes: np.ndarray, cfg: CoreConfig, *, offset: int, reset_reason: int):
    n = len(codes)
    ev: list[tuple[int, int, int, int]] = [(offset, 0, int(EventCode.RESET), reset_reason)]

    def emit(i: int, code: int, value: int) -> None:
        ev.append((offset + int(i), int(i), int(code), int(value)))

    if n == 0:
        return ev, []
    c = codes.astype(np.int64)
    enabled = np.array([(cfg.channel_enable >> ch) & 1 for ch in range(8)], dtype=bool)
    c[:, ~enabled] = NO_DATA_CODE
    acc = c[:, :3]
    valid = np.all(acc != NO_DATA_CODE, axis=1)
    acc_v = np.where(valid[:, None], acc, 0)
    mag = np.where(valid, isqrt_array(np.sum(acc_v * acc_v, axis=1)), 1000)

    # --- faults -----------------------------------------------------------------------------
    active = np.zeros((n, 8), dtype=bool)
    for ch in np.flatnonzero(enabled):
        x = c[:, ch]
        drop = x == NO_DATA_CODE
        sat = ~drop & (np.abs(x) >= FULL_SCALE[ch])
        plain = ~drop & ~sat  # a code held at full scale is saturation, not a stuck sensor
        same = np.zeros(n, dtype=bool)
        same[1:] = plain[1:] & (x[1:] == x[:-1])
        runs = {
            EventCode.FAULT_SATURATION: (run_length(sat), cfg.fault_sat, True),
            EventCode.FAULT_STUCK: (
                np.where(plain, run_length(same) + 1, 0),
                cfg.fault_stuck,
                bool((cfg.fault_stuck_mask >> ch) & 1),
            ),
            EventCode.FAULT_DROPOUT: (run_length(drop), cfg.fault_dropout, True),
        }
        for code, (length, k, on) in runs.items():
            if not on:
                continue
            for i in np.flatnonzero(length == k):
                emit(i, code, ch)
            active[:, ch] |= length >= k

    # --- steps and walking bouts -------------------------------------------------------------
    r = np.zeros(n, dtype=np.int64)
    r[2:] = mag[2:] - 2 * mag[1:-1] + mag[:-2]
    cand = np.zeros(n, dtype=bool)
    if n > 2:
        rp, rpp, rc = r[1:-1], r[:-2], r[2:]
        cand[2:] = (rp >= cfg.step_sharp_min_mg) & (rp >= rpp) & (rp > rc)
    steps: list[int] = []
    peak_avg, last_peak = 0, None
    for i in np.flatnonzero(cand).tolist():
        rp = int(r[i - 1])
        if rp < max(cfg.step_sharp_min_mg, peak_avg >> cfg.step_adapt_shift):
            continue
        if last_peak is not None and (i - 1) - last_peak < cfg.step_refractory:
            continue
        peak_avg += (rp - peak_avg) >> 2
        last_peak = i - 1
        steps.append(i)
        emit(i, EventCode.STEP, len(steps))
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

    # --- falls -------------------------------------------------------------------------------
    still_ok = valid & (np.abs(mag - 1000) <= cfg.fall_still_mg)
    csum = np.zeros((n + 1, 3), dtype=np.int64)
    np.cumsum(acc_v, axis=0, out=csum[1:])
    reach = cfg.fall_ref_delay + cfg.fall_ref_samples - 1
    impacts = np.flatnonzero(valid & (mag >= cfg.fall_impact_mg))
    busy = -1
    for i in impacts[impacts >= reach].tolist():
        if i <= busy:
            continue
        e = i + cfg.fall_settle + cfg.fall_still
        if e >= n:
            break  # still armed when the epoch ends: no decision
        s0 = i + cfg.fall_settle + 1
        window = still_ok[s0 : e + 1]
        if not window.all():
            busy = s0 + int(np.argmin(window))
            continue
        peak = int(mag[i : i + cfg.fall_settle + 1].max())
        ref = csum[i - cfg.fall_ref_delay + 1] - csum[i - reach]
        post = csum[e + 1] - csum[s0]
        dot = int(ref @ post)
        if dot < cfg.fall_max_cos_permille * cfg.fall_ref_samples * cfg.fall_still * 1000:
            emit(e, EventCode.FALL, peak)
        busy = e

    # --- overload ----------------------------------------------------------------------------
    load = np.where(c[:, 6] == NO_DATA_CODE, 0, c[:, 6])
    above_len = run_length(load > cfg.overload_limit)
    ends = next_true(load < cfg.overload_limit - cfg.overload_hyst)
    busy = -1
    for s in np.flatnonzero(above_len == cfg.overload_min).tolist():
        if s <= busy:
            continue
        start = s - cfg.overload_min + 1
        emit(s, EventCode.OVERLOAD_START, load[start])
        end = int(ends[s + 1]) if s + 1 < n else n
        if end >= n:
            break
        emit(end, EventCode.OVERLOAD_END, end - start)
        busy = end

    # --- temperature -------------------------------------------------------------------------
    temp = c[:, 7]
    t_valid = temp != NO_DATA_CODE
    t_len = run_length(t_valid & (temp > cfg.temp_high_limit))
    rearm = next_true(t_valid & (temp < cfg.temp_high_limit - cfg.temp_hyst))
    last = None
    for i in np.flatnonzero(t_len == cfg.temp_min).tolist():
        if last is None or rearm[last + 1] <= i:
            emit(i, EventCode.TEMP_HIGH, temp[i])
            last = i

    # --- status ------------------------------------------------------------------------------
    p = cfg.status_period
    at = np.arange(p - 1, n, p)
    status = np.zeros(len(at), dtype=STATUS_DTYPE)
    status["stream_index"] = offset + at
    status["sample_index"] = at
    status["step_count"] = np.searchsorted(np.array(steps, dtype=np.int64), at, side="right")
    status["fault_flags"] = (active[at] * (1 << np.arange(8))).sum(axis=1)
    return ev, list(map(tuple, status.tolist()))


def run(codes: np.ndarray, cfg: CoreConfig, brownouts: tuple[tuple[int, int], ...] = ()):
    events, status = [], []
    start, reason = 0, 0
    for b0, b1 in sorted(brownouts):
        e, s = run_epoch(codes[start:b0], cfg, offset=start, reset_reason=reason)
        events += e
        status += s
        start, reason = b1, 1
    e, s = run_epoch(codes[start:], cfg, offset=start, reset_reason=reason)
    events += e
    status += s
    return canonical(events), np.array(status, dtype=STATUS_DTYPE)
