"""Command line: run one simulator in the foreground.

    omni-sandbox generic --port 8071 --api-key K --batch-limit 50
    python -m omni_sandbox generic --port 0

The first line printed is the simulator's base URL; the process serves
until interrupted (Ctrl-C or SIGTERM).
"""

import argparse
import logging
import signal
import sys
import threading

from . import SIMULATORS, get_simulator


def build_parser():
    parser = argparse.ArgumentParser(
        prog="omni-sandbox", description="Run an omni API simulator on loopback."
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log requests")
    subparsers = parser.add_subparsers(dest="simulator", metavar="SIMULATOR")
    subparsers.required = True
    for name in sorted(SIMULATORS):
        sub = subparsers.add_parser(name, help=f"the {name} simulator")
        sub.add_argument("--host", default="127.0.0.1", help="address to bind")
        sub.add_argument("--port", type=int, default=0, help="port (0: any free one)")
        try:
            get_simulator(name).add_arguments(sub)
        except ImportError as err:
            sub.description = f"unavailable: {err}"
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    cls = get_simulator(args.simulator)
    sim = cls.from_args(args, host=args.host, port=args.port)
    done = threading.Event()

    def _stop(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sim.start()
    try:
        print(sim.url, flush=True)
        while not done.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
