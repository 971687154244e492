#!/usr/bin/env python3
"""Two Odoo servers on one database; the one whose job runner is master dies mid-run.

Both servers have HTTP workers and the queue_job runner loaded; queue_job lets
one runner per database be master (a PostgreSQL advisory lock), the other
retries every few seconds. Stock events as in ``stock_propagation`` (one
product's quantity changed and committed, then the three simulated channels
must apply it) run before, during and after a SIGKILL of the master server's
whole process group (no clean shutdown: a machine lost). Reported:

* takeover: seconds from the kill until the other runner is master, and until
  the first event after the kill is on every channel;
* propagation percentiles before the kill, in the ``--during`` seconds after
  it, and after that;
* changes lost (an event never on every channel), quantities applied older
  than one already applied (per product and channel, in commit order), and
  the most stock requests one channel ever handled at once (1: pushes of a
  channel never overlap).

Prints one JSON object on stdout.
"""

import random
import statistics
import sys
import threading
import time

import _common as bc
import stock_propagation as sp

NAME = "multi_server"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--events", type=int, default=150, help="events in all (150)")
    parser.add_argument("--kill-after", type=int, default=50,
                        help="events before the master server is killed (50)")
    parser.add_argument("--during", type=float, default=15.0,
                        help="seconds after the kill counted as 'during' (15)")
    parser.add_argument("--products", type=int, default=30)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers per server (2)")
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS)
    parser.add_argument("--spacing", type=float, nargs=2, default=(0.3, 0.5))
    parser.add_argument("--event-timeout", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=20250303)
    args = parser.parse_args(argv)
    args.delay = None
    return args


def in_flight_counters(sims):
    """Wrap each simulator so that it records the most stock requests it handled at once."""
    states = []
    for sim in sims:
        state = {"now": 0, "most": 0}
        lock = threading.Lock()
        original = sim._reply_for

        def counting(req, entry, control, _orig=original, _state=state, _lock=lock):
            stock = req.path == "/api/stock"
            if stock:
                with _lock:
                    _state["now"] += 1
                    _state["most"] = max(_state["most"], _state["now"])
            try:
                return _orig(req, entry, control)
            finally:
                if stock:
                    with _lock:
                        _state["now"] -= 1

        sim._reply_for = counting
        states.append(state)
    return states


def stats(values):
    if not values:
        return {"events": 0}
    return {"events": len(values),
            "p50": bc.rounded(bc.percentile(values, 50)),
            "p95": bc.rounded(bc.percentile(values, 95)),
            "p99": bc.rounded(bc.percentile(values, 99)),
            "max": bc.rounded(max(values)),
            "mean": bc.rounded(statistics.fmean(values))}


def older_after_newer(sims, history, since):
    bad = 0
    for sim in sims:
        with sim.lock:
            applied = [(key, value) for (kind, key, value, n) in sim.applied
                       if kind == "stock" and n > since[id(sim)]]
        position = dict.fromkeys(history, 0)
        for key, value in applied:
            values = history.get(key)
            if values is None:
                continue
            try:
                position[key] = values.index(value, position[key])
            except ValueError:
                bad += 1
    return bad


def main(argv=None):  # noqa: C901 - one linear scenario
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    rng = random.Random(args.seed)
    sim_cls = bc.timed_simulator_class()
    sims = [sim_cls(api_key=f"bench-key-{i}-x9", shop=f"Multi {chr(65 + i)}").start()
            for i in range(args.channels)]
    flights = in_flight_counters(sims)
    t0 = time.monotonic()
    servers = []
    try:
        with bc.bench_database(args, NAME) as db:
            registry = bc.odoo_registry(db)
            for i in range(args.products):
                for sim in sims:
                    sim.add_offer(f"PROP-{i:03d}", quantity=0, price="1.00")
            ctx = sp.setup(registry, args, sims, rng)
            tracker = sp.Tracker(sims)
            for sim in sims:
                sim.listener = tracker.on_applied
            try:
                first = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
                servers.append(first)
                first.start()
                first.wait_ready()  # its runner is master
                second = bc.OdooServer(db, workers=args.workers,
                                       channels=args.channels_config)
                servers.append(second)
                second.start()
                second.wait_ready(runner=False)  # its runner waits for the master lock
                if not sp.wait_shown(sims, ctx["stock"], 120):
                    raise RuntimeError("the initial stock did not reach the simulators")
                master, other = (first, second) if not second.runner_ready() else (None, None)
                if master is None:
                    raise RuntimeError("both runners claim to be master")
                since = {id(sim): sim._applied_seq for sim in sims}
                history = {sku: [qty] for sku, qty in ctx["stock"].items()}
                current = dict(ctx["stock"])
                skus = sorted(ctx["products"])
                events, killed_at, takeover_at = [], None, None
                for index in range(args.events):
                    if index == args.kill_after:
                        bc.log(f"killing the master server (pid {master.proc.pid})")
                        killed_at = time.monotonic()
                        master.kill()
                    if killed_at and takeover_at is None and other.runner_ready():
                        takeover_at = time.monotonic()
                    due = time.monotonic() + rng.uniform(*args.spacing)
                    free = [sku for sku in skus if sku not in tracker.busy()]
                    while not free:
                        time.sleep(0.01)
                        if killed_at and takeover_at is None and other.runner_ready():
                            takeover_at = time.monotonic()
                        free = [sku for sku in skus if sku not in tracker.busy()]
                    sku = rng.choice(free)
                    event = sp.run_event(registry, ctx, tracker, sku, rng, current)
                    history[sku].append(current[sku])
                    events.append(event)
                    while time.monotonic() < due:
                        if killed_at and takeover_at is None and other.runner_ready():
                            takeover_at = time.monotonic()
                        time.sleep(0.01)
                deadline = time.monotonic() + args.event_timeout
                while takeover_at is None and time.monotonic() < deadline:
                    if other.runner_ready():
                        takeover_at = time.monotonic()
                    time.sleep(0.05)
                lost = tracker.wait_all(args.event_timeout)
                in_sync = sp.wait_shown(sims, current, 10)
                errors = sum(len(s.errors()) for s in servers)
            finally:
                for server in servers:
                    server.stop()
                    server.cleanup()
            registry = None
    finally:
        for sim in sims:
            sim.stop()
    complete = [e for e in events if len(e["arrivals"]) == args.channels]
    phases = {"before": [], "during": [], "after": []}
    for e in complete:
        latency = max(e["arrivals"].values()) - e["commit"]
        if e["commit"] < killed_at:
            phases["before"].append(latency)
        elif e["commit"] < killed_at + args.during:
            phases["during"].append(latency)
        else:
            phases["after"].append(latency)
    after_kill = [e for e in complete if e["commit"] >= killed_at]
    first_after = (min(max(e["arrivals"].values()) for e in after_kill) - killed_at
                   if after_kill else None)
    # an event committed before the kill but pushed after it counts from the kill too
    straddling = [max(e["arrivals"].values()) - killed_at for e in complete
                  if e["commit"] < killed_at < max(e["arrivals"].values())]
    older = older_after_newer(sims, history, since)
    overlap = max(state["most"] for state in flights)
    takeover = takeover_at - killed_at if takeover_at else None
    result = {
        "figures": {
            "runner_takeover_s": bc.figure(bc.rounded(takeover), "report", takeover is not None,
                                           unit="s"),
            "first_change_on_every_channel_after_kill_s": bc.figure(
                bc.rounded(first_after), "report", first_after is not None, unit="s"),
            "changes_lost": bc.figure(len(lost), "0", not lost and in_sync),
            "older_quantity_after_newer": bc.figure(older, "0", older == 0),
            "most_stock_requests_at_once_per_channel": bc.figure(overlap, "1", overlap <= 1),
        },
        "latency_s": {name: stats(values) for name, values in phases.items()},
        "events": len(events),
        "events_complete": len(complete),
        "events_straddling_the_kill": {"count": len(straddling),
                                       "on_every_channel_after_kill_s": [
                                           bc.rounded(x) for x in straddling]},
        "in_sync_at_end": in_sync,
        "server_error_lines": errors,
        "load_average": bc.load_average(),
        "config": {"servers": 2, "workers_per_server": args.workers,
                   "queue_job_channels": args.channels_config,
                   "kill": "SIGKILL to the master server's process group",
                   "kill_after_events": args.kill_after, "during_s": args.during,
                   "sync_delay_s": ctx["sync_delay"], "seed": args.seed,
                   "runner_retry": "queue_job retries the master lock every 5 s "
                   "(ERROR_RECOVERY_DELAY); jobs the dead server had started are "
                   "requeued by the new master (requeue_dead_jobs)"},
        "total_seconds": bc.rounded(time.monotonic() - t0, 1),
    }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
