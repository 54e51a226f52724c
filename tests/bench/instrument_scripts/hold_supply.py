"""Hold a supply twin's outputs on inside ``outputs_off_on_exit`` until a signal arrives.

Usage: python hold_supply.py <resource>. Prints ``ready`` once every output is on; the test then
sends SIGTERM or SIGINT and checks that the twin received ``OUTP 0`` for every channel.
"""

import signal
import sys
import time

from bench.instruments import KeysightE36312A, outputs_off_on_exit


def main(resource: str) -> None:
    # a child of a process that ignores SIGINT inherits SIG_IGN: restore Ctrl-C's default
    signal.signal(signal.SIGINT, signal.default_int_handler)
    supply = KeysightE36312A(resource, timeout_s=2.0)
    with outputs_off_on_exit(supply):
        for channel in (1, 2, 3):
            supply.set_voltage(channel, 1.8)
            supply.output(channel, True)
        supply.check_errors()  # a query: every command above has been handled
        print("ready", flush=True)
        while True:
            time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1])
