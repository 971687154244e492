#!/usr/bin/env python3
"""Stock propagation: a committed stock change until the last of three channels has it.

A real Odoo server (HTTP workers and the queue_job runner) runs the push jobs;
three GenericChannelSimulator instances live in this process and stamp every
quantity they apply with ``time.monotonic()``. For each event this process
changes the stock of one product by an inventory adjustment, commits, notes
the time, and waits for the three simulators to apply the new quantity.

Latency of an event = the last simulator's arrival - the commit. Events are
spaced 0.3-0.5 s apart on products not in flight, so the per-channel job
coalesces several events as in real use. Prints one JSON object on stdout.
"""

import random
import statistics
import sys
import threading
import time

import _common as bc

NAME = "stock_propagation"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--events", type=int, default=200, help="measured events (200)")
    parser.add_argument("--products", type=int, default=30, help="products with bindings")
    parser.add_argument("--channels", type=int, default=3, help="simulated channels (3)")
    parser.add_argument("--delay", type=int, default=None,
                        help="channel sync delay, s (default: the channels' shipped setting)")
    parser.add_argument("--spacing", type=float, nargs=2, default=(0.3, 0.5),
                        metavar=("MIN", "MAX"), help="seconds between events (0.3 0.5)")
    parser.add_argument("--workers", type=int, default=bc.DEFAULT_WORKERS,
                        help="Odoo HTTP workers (4, as odoo.conf.example)")
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS,
                        help="[queue_job] channels of the server")
    parser.add_argument("--event-timeout", type=float, default=30.0,
                        help="an event not seen everywhere after this is counted lost")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--target-p95", type=float, default=0.2)
    parser.add_argument("--target-p99", type=float, default=0.5)
    return parser.parse_args(argv)


class Tracker:
    """Pending events by SKU; simulators report applied quantities here."""

    def __init__(self, sims):
        self.lock = threading.Lock()
        self.index = {id(sim): i for i, sim in enumerate(sims)}
        self.count = len(sims)
        self.pending = {}  # sku -> event dict
        self.done = threading.Condition(self.lock)

    def expect(self, sku, value):
        event = {"sku": sku, "value": value, "commit": None, "arrivals": {}}
        with self.lock:
            self.pending[sku] = event
        return event

    def on_applied(self, sim, kind, key, value, when):
        if kind != "stock":
            return
        with self.lock:
            event = self.pending.get(key)
            if event is None or value != event["value"]:
                return
            event["arrivals"].setdefault(self.index[id(sim)], when)
            if len(event["arrivals"]) == self.count:
                del self.pending[key]
                self.done.notify_all()

    def busy(self):
        with self.lock:
            return set(self.pending)

    def wait_all(self, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.pending and time.monotonic() < deadline:
                self.done.wait(timeout=0.05)
            return dict(self.pending)


def setup(registry, args, sims, rng):
    """Products with stock, channels wired to the simulators, bindings; committed."""
    with bc.odoo_env(registry, {"tracking_disable": True}) as env:
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1)
        products = env["product.product"].create([
            {"name": f"Propagation product {i}", "default_code": f"PROP-{i:03d}",
             "is_storable": True, "list_price": 100.0 + i}
            for i in range(args.products)
        ])
        stock = {}
        for product in products:
            stock[product.default_code] = rng.randint(5, 50)
        quants = env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id,
             "inventory_quantity": stock[p.default_code]}
            for p in products
        ])
        quants.action_apply_inventory()
        channels = env["omni.channel"].create([
            {"name": f"Bench channel {chr(65 + i)}", "channel_type": "generic",
             "api_url": sim.url, "api_key": sim.api_key,
             "warehouse_ids": [(6, 0, warehouse.ids)],
             "sync_price": False, "sync_orders": False,
             **({"sync_delay": args.delay} if args.delay is not None else {})}
            for i, sim in enumerate(sims)
        ])
        ctx_delay = channels[:1].sync_delay
        env["omni.product.binding"].create([
            {"channel_id": c.id, "product_id": p.id} for c in channels for p in products
        ])
        return {
            "warehouse_id": warehouse.id,
            "location_id": warehouse.lot_stock_id.id,
            "products": {p.default_code: p.id for p in products},
            "stock": stock,
            "channel_ids": channels.ids,
            "sync_delay": ctx_delay,
        }


def set_stock(registry, location_id, product_id, quantity, rng):
    """One user transaction: an inventory adjustment.

    Replayed on a serialization failure as Odoo's HTTP and RPC layers replay a
    request; returns (start, commit time, failed attempts with their errors).
    """
    start = time.monotonic()
    failures = []
    while True:
        try:
            with bc.odoo_env(registry) as env:
                quant = env["stock.quant"].with_context(inventory_mode=True).create({
                    "product_id": product_id, "location_id": location_id,
                    "inventory_quantity": quantity,
                })
                quant.action_apply_inventory()
            return start, time.monotonic(), failures
        except bc.concurrency_errors() as err:
            failures.append(f"{type(err).__name__}: {str(err).strip()}")
            if len(failures) >= bc.MAX_TRIES:
                raise
            time.sleep(rng.uniform(0.0, 0.05 * len(failures)))


def wait_shown(sims, expected, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(sim.offer(sku)["quantity"] == qty for sim in sims
               for sku, qty in expected.items()):
            return True
        time.sleep(0.05)
    return False


def job_counts(registry, channel_ids, since_id):
    with bc.odoo_env(registry) as env:
        env.cr.execute(
            """
            SELECT state, count(*) FROM queue_job
             WHERE id > %s AND identity_key = ANY(%s) GROUP BY state
            """,
            [since_id, [f"omni:{cid}:stock" for cid in channel_ids]],
        )
        return dict(env.cr.fetchall())


def last_job_id(registry):
    with bc.odoo_env(registry) as env:
        env.cr.execute("SELECT COALESCE(max(id), 0) FROM queue_job")
        return env.cr.fetchone()[0]


def run_event(registry, ctx, tracker, sku, rng, current):
    new = current[sku]
    while new == current[sku]:
        new = rng.randint(1, 60)
    event = tracker.expect(sku, new)
    start, commit, failures = set_stock(
        registry, ctx["location_id"], ctx["products"][sku], new, rng)
    event["commit"] = commit
    event["txn"] = commit - start
    event["retries"] = failures
    current[sku] = new
    return event


def measure(registry, args, ctx, sims, tracker, rng):
    current = dict(ctx["stock"])
    skus = sorted(ctx["products"])
    # warm-up: the workers load the registry on their first jobs; not counted
    for sku in rng.sample(skus, 4):
        warm = run_event(registry, ctx, tracker, sku, rng, current)
        ctx["warmup_replays"] = ctx.get("warmup_replays", 0) + len(warm["retries"])
        if tracker.wait_all(60):
            raise RuntimeError("warm-up events did not reach every channel")
    requests_before = [sim.stock_requests() for sim in sims]
    first_job = last_job_id(registry)
    events = []
    started = time.monotonic()
    for _i in range(args.events):
        due = time.monotonic() + rng.uniform(*args.spacing)
        free = [sku for sku in skus if sku not in tracker.busy()]
        if not free:  # every product in flight: wait for one (bounded)
            deadline = time.monotonic() + args.event_timeout
            while not free and time.monotonic() < deadline:
                time.sleep(0.01)
                free = [sku for sku in skus if sku not in tracker.busy()]
            if not free:
                break
        events.append(run_event(registry, ctx, tracker, rng.choice(free), rng, current))
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    lost = tracker.wait_all(args.event_timeout)
    elapsed = time.monotonic() - started
    requests = sum(sim.stock_requests() for sim in sims) - sum(requests_before)
    return events, lost, requests, job_counts(registry, ctx["channel_ids"], first_job), elapsed


def summarize(args, ctx, events, lost, requests, jobs, elapsed, server, setup_s):
    latencies = [max(e["arrivals"].values()) - e["commit"]
                 for e in events if len(e["arrivals"]) == args.channels]
    firsts = [min(e["arrivals"].values()) - e["commit"]
              for e in events if len(e["arrivals"]) == args.channels]
    txns = [e["txn"] for e in events]
    n = len(events)
    p95 = bc.percentile(latencies, 95)
    p99 = bc.percentile(latencies, 99)
    stats = {
        "p50": bc.rounded(bc.percentile(latencies, 50)),
        "p95": bc.rounded(p95),
        "p99": bc.rounded(bc.percentile(latencies, 99)),
        "max": bc.rounded(max(latencies) if latencies else None),
        "min": bc.rounded(min(latencies) if latencies else None),
        "mean": bc.rounded(statistics.fmean(latencies) if latencies else None),
    }
    total_jobs = sum(jobs.values())
    replayed = [e for e in events if e["retries"]]
    messages = sorted({msg.splitlines()[0] for e in replayed for msg in e["retries"]})
    return {
        "figures": {
            "latency_p95_s": bc.figure(
                stats["p95"], f"< {args.target_p95}",
                p95 is not None and p95 < args.target_p95 and not lost, unit="s"),
            "latency_p99_s": bc.figure(
                stats["p99"], f"< {args.target_p99}",
                p99 is not None and p99 < args.target_p99 and not lost, unit="s"),
            "latency_p50_s": bc.figure(stats["p50"], "report", True, unit="s"),
            "events_lost": bc.figure(len(lost), "0", not lost),
            "user_transactions_replayed": bc.figure(
                len(replayed), "0 (a stock change never conflicts with the sync)",
                not replayed,
                note="inventory adjustments that failed at commit with a concurrency "
                "error and were replayed, as Odoo's HTTP layer replays a request"),
        },
        "latency_s": stats,
        "first_channel_latency_s": {
            "p50": bc.rounded(bc.percentile(firsts, 50)),
            "p95": bc.rounded(bc.percentile(firsts, 95)),
        },
        "events": n,
        "events_completed": len(latencies),
        "stock_http_requests": requests,
        "stock_http_requests_per_event": bc.rounded(requests / n if n else None),
        "stock_jobs": total_jobs,
        "stock_jobs_by_state": jobs,
        "stock_jobs_per_event": bc.rounded(total_jobs / n if n else None),
        "user_transaction_replays": {
            "events": len(replayed),
            "attempts_failed": sum(len(e["retries"]) for e in replayed),
            "errors": messages[:5],
            "warmup_attempts_failed": ctx.get("warmup_replays", 0),
        },
        "user_transaction_s": {"p50": bc.rounded(bc.percentile(txns, 50)),
                               "p95": bc.rounded(bc.percentile(txns, 95))},
        "measured_seconds": bc.rounded(elapsed, 1),
        "config": {
            "channels": args.channels,
            "products": args.products,
            "sync_delay_s": ctx["sync_delay"],
            "sync_delay_shipped": args.delay is None,
            "event_spacing_s": list(args.spacing),
            "workers": args.workers,
            "queue_job_channels": args.channels_config,
            "change": "inventory adjustment of one product (stock.quant, inventory mode)",
            "latency": "last simulator applying the new quantity - commit of the change",
            "seed": args.seed,
        },
        "setup_seconds": bc.rounded(setup_s, 1),
        "load_average": bc.load_average(),
        "server_error_lines": len(server.errors()),
        "server_transactions_replayed": server.concurrency_errors(),
    }


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    rng = random.Random(args.seed)
    sim_cls = bc.timed_simulator_class()
    sims = [sim_cls(api_key=f"bench-key-{i}-x9", shop=f"Bench {chr(65 + i)}").start()
            for i in range(args.channels)]
    t0 = time.monotonic()
    try:
        with bc.bench_database(args, NAME) as db:
            registry = bc.odoo_registry(db)
            for i in range(args.products):
                for sim in sims:
                    sim.add_offer(f"PROP-{i:03d}", quantity=0, price="1.00")
            ctx = setup(registry, args, sims, rng)
            tracker = Tracker(sims)
            for sim in sims:
                sim.listener = tracker.on_applied
            server = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
            try:
                server.start()
                server.wait_ready()
                if not wait_shown(sims, ctx["stock"], 90):
                    raise RuntimeError("the initial stock did not reach the simulators")
                setup_s = time.monotonic() - t0
                bc.log(f"initial sync done after {setup_s:.1f}s; {args.events} events")
                events, lost, requests, jobs, elapsed = measure(
                    registry, args, ctx, sims, tracker, rng)
                result = summarize(args, ctx, events, lost, requests, jobs, elapsed, server,
                                   setup_s)
            finally:
                server.stop()
                server.cleanup()
            registry = None
    finally:
        for sim in sims:
            sim.stop()
    result["total_seconds"] = bc.rounded(time.monotonic() - t0, 1)
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
