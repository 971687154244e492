#!/usr/bin/env python3
"""A burst of stock changes: how many requests each channel gets, and how soon it is in sync.

200 products on three simulated channels, the channels' shipped settings, a
real Odoo server with the queue_job runner. Within ``--window`` seconds this
process commits ``--changes`` stock changes (``--per-txn`` products per
transaction, their quants updated as done moves update them, or inventory
adjustments with ``--change adjust``; ``--threads`` threads that never touch
the same product), then waits until every channel shows the last quantity of
every product, and checks that no channel applied an older quantity of a
product after a newer one.

Reported per channel: the stock requests it received, the pushes that sent
something (one job run = one push), and the bound the engine promises:
``requests <= ceil(changes / batch limit) + pushes``, i.e. at most one
request per push beyond the batches the changes need. And the time from the
last commit until the last channel has the last change. Prints one JSON
object on stdout.
"""

import math
import random
import re
import sys
import threading
import time

import _common as bc
import stock_propagation as sp

NAME = "stock_burst"
RESULT = re.compile(r"stock: (\d+) sent in (\d+) requests")


def parse_args(argv):
    parser = bc.base_parser(__doc__)
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--changes", type=int, default=1000, help="stock changes (1000)")
    parser.add_argument("--products", type=int, default=200, help="products (200)")
    parser.add_argument("--channels", type=int, default=3, help="simulated channels (3)")
    parser.add_argument("--window", type=float, default=10.0,
                        help="seconds the changes are spread over (10)")
    parser.add_argument("--per-txn", type=int, default=10,
                        help="products changed per user transaction (10)")
    parser.add_argument("--threads", type=int, default=2,
                        help="user threads, each with its own products (2)")
    parser.add_argument("--change", choices=("quant", "adjust"), default="quant",
                        help="quant (default): quantities updated as done moves update "
                        "them; adjust: inventory adjustments (slow; those of one location "
                        "conflict with each other on the location's row: use --threads 1)")
    parser.add_argument("--workers", type=int, default=bc.DEFAULT_WORKERS,
                        help="Odoo HTTP workers (4, as odoo.conf.example)")
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS,
                        help="queue_job channels of the server")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="longest wait for the channels after the burst, s")
    parser.add_argument("--seed", type=int, default=20250214)
    args = parser.parse_args(argv)
    args.delay = None  # the channels' shipped sync delay
    return args


def adjust(registry, location_id, changes, rng, mode="adjust"):
    """One user transaction setting several products' quantities; replayed on conflict.

    ``adjust``: an inventory adjustment; ``quant``: the quants' quantities
    updated as done moves update them (``_update_available_quantity``).
    """
    failures = 0
    while True:
        try:
            with bc.odoo_env(registry) as env:
                if mode == "adjust":
                    env["stock.quant"].with_context(inventory_mode=True).create([
                        {"product_id": pid, "location_id": location_id,
                         "inventory_quantity": qty}
                        for pid, qty in changes
                    ]).action_apply_inventory()
                else:
                    location = env["stock.location"].browse(location_id)
                    Quant = env["stock.quant"]
                    for product in env["product.product"].browse([p for p, _q in changes]):
                        wanted = dict(changes)[product.id]
                        have = Quant._get_available_quantity(
                            product, location, strict=True, allow_negative=True)
                        if wanted != have:
                            Quant._update_available_quantity(product, location, wanted - have)
            return time.monotonic(), failures
        except bc.concurrency_errors():
            failures += 1
            if failures >= bc.MAX_TRIES:
                raise
            time.sleep(rng.uniform(0.0, 0.05 * failures))


def burst(registry, args, ctx, rng):
    """Commit the changes on schedule; returns (first, last commit, expected, replays, late)."""
    skus = sorted(ctx["products"])
    expected = dict(ctx["stock"])
    history = {sku: [qty] for sku, qty in expected.items()}
    txns = math.ceil(args.changes / args.per_txn)
    # each thread owns a share of the products: no two transactions fight over a quant
    plans = [[] for _ in range(args.threads)]
    left = args.changes
    for index in range(txns):
        thread = index % args.threads
        own = skus[thread::args.threads]
        count = min(args.per_txn, left)
        left -= count
        picked = rng.sample(own, count)
        changes = []
        for sku in picked:
            new = expected[sku]
            while new == expected[sku]:
                new = rng.randint(0, 80)
            expected[sku] = new
            history[sku].append(new)
            changes.append((sku, new))
        plans[thread].append((index * args.window / txns, changes))
    commits, replays, late = [], [0], [0.0]
    lock = threading.Lock()
    start = time.monotonic() + 0.2

    def run(plan, seed):
        own_rng = random.Random(seed)
        for offset, changes in plan:
            pause = start + offset - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                with lock:
                    late[0] = max(late[0], -pause)
            when, failures = adjust(
                registry, ctx["location_id"],
                [(ctx["products"][sku], qty) for sku, qty in changes], own_rng, args.change)
            with lock:
                commits.append(when)
                replays[0] += failures

    threads = [threading.Thread(target=run, args=(plan, args.seed + i))
               for i, plan in enumerate(plans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return start, max(commits), expected, history, replays[0], late[0]


def wait_in_sync(sims, expected, timeout):
    """Seconds until every simulator shows ``expected`` (polled every 10 ms), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(sim.offer(sku)["quantity"] == qty for sim in sims
               for sku, qty in expected.items()):
            return time.monotonic()
        time.sleep(0.01)
    return None


def last_change_time(sims, expected):
    """Monotonic time the last simulator applied its last expected quantity."""
    latest = 0.0
    for sim in sims:
        with sim.lock:
            for (kind, key, value, _n), when in zip(sim.applied, sim.applied_at,
                                                    strict=False):
                if kind == "stock" and expected.get(key) == value:
                    latest = max(latest, when)
    return latest


def out_of_order(sims, history, since):
    """Quantities a channel applied that were older than one it had applied before.

    Each product's applied quantities must follow the order the changes were
    committed in (a quantity may be skipped: coalesced)."""
    bad = 0
    for sim in sims:
        with sim.lock:
            applied = [(key, value) for (kind, key, value, n) in sim.applied
                       if kind == "stock" and n > since[id(sim)]]
        position = {sku: 0 for sku in history}
        for key, value in applied:
            values = history.get(key)
            if values is None:
                continue
            try:
                position[key] = values.index(value, position[key])
            except ValueError:
                bad += 1
    return bad


def push_jobs(registry, channel_ids, since_id):
    """Per channel: runs that sent something, runs in all, items sent, runs by result."""
    out = {}
    with bc.odoo_env(registry) as env:
        for cid in channel_ids:
            env.cr.execute(
                "SELECT state, result, retry FROM queue_job WHERE id > %s AND identity_key = %s",
                [since_id, f"omni:{cid}:stock"],
            )
            rows = env.cr.fetchall()
            pushes = sent = requests = queued = 0
            for _state, result, _retry in rows:
                match = RESULT.search(result or "")
                if match and int(match.group(2)):
                    pushes += 1
                    sent += int(match.group(1))
                    requests += int(match.group(2))
                elif "waiting to run" in (result or ""):
                    queued += 1
            out[cid] = {"jobs": len(rows), "pushes": pushes, "items_sent": sent,
                        "requests_by_jobs": requests, "left_to_the_waiting_push": queued,
                        "states": sorted({r[0] for r in rows})}
    return out


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    rng = random.Random(args.seed)
    sim_cls = bc.timed_simulator_class()
    sims = [sim_cls(api_key=f"bench-key-{i}-x9", shop=f"Burst {chr(65 + i)}").start()
            for i in range(args.channels)]
    t0 = time.monotonic()
    try:
        with bc.bench_database(args, NAME) as db:
            registry = bc.odoo_registry(db)
            for i in range(args.products):
                for sim in sims:
                    sim.add_offer(f"PROP-{i:03d}", quantity=0, price="1.00")
            ctx = sp.setup(registry, args, sims, rng)
            server = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
            try:
                server.start()
                server.wait_ready()
                if not sp.wait_shown(sims, ctx["stock"], 120):
                    raise RuntimeError("the initial stock did not reach the simulators")
                # warm-up: every worker loads the registry once; not counted
                for sku in sorted(ctx["products"])[:4]:
                    ctx["stock"][sku] += 1
                    adjust(registry, ctx["location_id"],
                           [(ctx["products"][sku], ctx["stock"][sku])], rng)
                if not sp.wait_shown(sims, ctx["stock"], 60):
                    raise RuntimeError("the warm-up did not reach the simulators")
                time.sleep(1.0)
                before = [sim.stock_requests() for sim in sims]
                since = {id(sim): sim._applied_seq for sim in sims}
                first_job = sp.last_job_id(registry)
                load_before = bc.load_average()
                started, last_commit, expected, history, replays, late = burst(
                    registry, args, ctx, rng)
                synced = wait_in_sync(sims, expected, args.timeout)
                load_after = bc.load_average()
                time.sleep(1.0)  # jobs finishing after the last change (follow-ups)
                requests = [sim.stock_requests() - b for sim, b in zip(sims, before,
                                                                      strict=True)]
                applied_last = last_change_time(sims, expected)
                older_after_newer = out_of_order(sims, history, since)
                jobs = push_jobs(registry, ctx["channel_ids"], first_job)
                errors = len(server.errors())
                replayed_server = server.concurrency_errors()
            finally:
                server.stop()
                server.cleanup()
            registry = None
    finally:
        for sim in sims:
            sim.stop()
    batch_limit = 100  # the generic adapter's
    per_channel = []
    bound_met = True
    for cid, sent_requests in zip(ctx["channel_ids"], requests, strict=True):
        info = jobs[cid]
        bound = math.ceil(args.changes / batch_limit) + info["pushes"]
        bound_met = bound_met and sent_requests <= bound
        per_channel.append({"requests": sent_requests, "bound": bound, **info})
    in_sync = synced is not None
    tail = (applied_last - last_commit) if in_sync else None
    result = {
        "figures": {
            "requests_per_channel": bc.figure(
                [c["requests"] for c in per_channel],
                "<= ceil(changes / batch limit) + pushes", bound_met and in_sync,
                pushes=[c["pushes"] for c in per_channel]),
            "last_change_on_every_channel_s": bc.figure(
                bc.rounded(tail), "report (after the last commit)", in_sync, unit="s"),
            "burst_to_in_sync_s": bc.figure(
                bc.rounded(applied_last - started if in_sync else None),
                "report (first commit -> every channel in sync)", in_sync, unit="s"),
        },
        "per_channel": per_channel,
        "older_quantity_after_newer": older_after_newer,
        "changes": args.changes,
        "products": args.products,
        "burst_seconds": bc.rounded(last_commit - started, 2),
        "transactions": math.ceil(args.changes / args.per_txn),
        "user_transactions_replayed": replays,
        "most_late_transaction_s": bc.rounded(late),
        "in_sync": in_sync,
        "server_error_lines": errors,
        "server_transactions_replayed": replayed_server,
        "load_average": {"before": load_before, "after": load_after},
        "config": {
            "channels": args.channels, "per_txn": args.per_txn, "threads": args.threads,
            "window_s": args.window, "workers": args.workers, "change": args.change,
            "queue_job_channels": args.channels_config, "sync_delay_s": ctx["sync_delay"],
            "batch_limit": batch_limit, "seed": args.seed,
        },
        "total_seconds": bc.rounded(time.monotonic() - t0, 1),
    }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
