"""``outputs_off_on_exit``: supply outputs are off however the guarded block ends — normally, by an
exception, by Ctrl-C or by SIGTERM (also in a separate process holding a twin connection)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.instruments import (
    InstrumentError,
    KeysightE36312A,
    SafeShutdownError,
    outputs_off_on_exit,
)
from bench.instruments.fake import FakeResource
from bench.instruments.sim import SupplyTwin

ALL_OFF = ["OUTP 0,(@1)", "OUTP 0,(@2)", "OUTP 0,(@3)"]
SCRIPT = Path(__file__).parent / "instrument_scripts" / "hold_supply.py"
REPO = Path(__file__).resolve().parents[2]
main_thread_only = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signal handlers can only be installed from the main thread",
)


def fake_supply(name="supply"):
    resource = FakeResource()
    return KeysightE36312A(resource, name=name), resource


class BrokenResource(FakeResource):
    def write(self, command: str) -> int:
        super().write(command)
        raise OSError("cable pulled")


def test_normal_exit_switches_every_supply_off():
    (a, res_a), (b, res_b) = fake_supply("vdd"), fake_supply("vbat")
    with outputs_off_on_exit(a, b):
        a.output(1, True)
    assert res_a.writes == ["OUTP 1,(@1)", *ALL_OFF]
    assert res_b.writes == ALL_OFF


def test_exception_propagates_after_switching_off():
    supply, res = fake_supply()
    with pytest.raises(RuntimeError, match="scenario failed"), outputs_off_on_exit(supply):
        raise RuntimeError("scenario failed")
    assert res.writes == ALL_OFF


def test_keyboard_interrupt_propagates_after_switching_off():
    supply, res = fake_supply()
    with pytest.raises(KeyboardInterrupt), outputs_off_on_exit(supply):
        raise KeyboardInterrupt
    assert res.writes == ALL_OFF


def test_failed_shutdown_does_not_mask_the_original_exception():
    broken = KeysightE36312A(BrokenResource(), name="vdd")
    good, res = fake_supply("vbat")
    with pytest.raises(RuntimeError, match="scenario failed") as info:  # noqa: SIM117
        with outputs_off_on_exit(broken, good):
            raise RuntimeError("scenario failed")
    assert res.writes == ALL_OFF  # the second supply still got its chance
    (note,) = info.value.__notes__
    assert "outputs may still be on" in note and "vdd" in note and "cable pulled" in note


def test_failed_shutdown_after_normal_exit_is_raised():
    broken = KeysightE36312A(BrokenResource(), name="vdd")
    with pytest.raises(SafeShutdownError, match=r"vdd.*ch1.*ch2.*ch3") as info:  # noqa: SIM117
        with outputs_off_on_exit(broken):
            pass
    assert isinstance(info.value, InstrumentError)
    assert broken._resource.writes == ALL_OFF  # every channel was tried


@main_thread_only
def test_sigterm_in_process_exits_cleanly_and_restores_the_handler():
    def previous(signum, frame):  # pragma: no cover - only installed, never called
        pass

    old = signal.signal(signal.SIGTERM, previous)
    try:
        supply, res = fake_supply()
        with pytest.raises(SystemExit) as info, outputs_off_on_exit(supply):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler's SystemExit ends the sleep at once
        assert info.value.code == 128 + signal.SIGTERM
        assert res.writes == ALL_OFF
        assert signal.getsignal(signal.SIGTERM) is previous
    finally:
        signal.signal(signal.SIGTERM, old)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signalled_process_switches_the_twin_off(signum):
    with SupplyTwin(load_current_a=lambda channel: 1e-3) as twin:
        env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        child = subprocess.Popen(
            [sys.executable, str(SCRIPT), twin.resource],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
            assert all(twin.channels[ch].output_enabled for ch in (1, 2, 3))
            child.send_signal(signum)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        stderr = child.stderr.read()
        for command in ALL_OFF:
            assert twin.wait_for(command, timeout_s=5.0), (command, twin.commands, stderr)
        assert not any(twin.channels[ch].output_enabled for ch in (1, 2, 3))
    if signum == signal.SIGTERM:
        assert child.returncode == 128 + signal.SIGTERM, stderr
    else:
        assert child.returncode in (-signal.SIGINT, 130) and "KeyboardInterrupt" in stderr
