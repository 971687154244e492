#!/usr/bin/env python3
"""Oversell storm: two marketplaces sell scarce stock; omni versus a 15-minute batch sync.

Twenty products with 1-3 units each are offered on two simulated marketplaces
(GenericChannelSimulator). Simulated buyers arrive at a steady rate, each on
one marketplace, and buy one unit of a random product if that marketplace
shows it (``place_order`` refuses otherwise). The same buyer stream is played,
at the same real moments, against two arms:

omni
    A real Odoo server with the queue_job runner. Orders are imported from the
    marketplaces (``action_import_orders_now`` every ``--import-every`` real
    seconds, which queues the import job; each order is mapped in its own job,
    which confirms the sale order, so Odoo reserves the stock and the
    coalesced stock job pushes the new quantity, 1 s sync delay, to both
    marketplaces).
baseline
    A batch sync every 15 simulated minutes: each marketplace's quantity is set
    to the real remaining stock (units minus units sold on both), nothing in
    between.

Time is compressed by ``--compression`` (default 60: 1 real second = 60
simulated seconds) for the buyer arrival rate and the baseline's period alike;
omni's own latencies (job runner, order import, sync delay) stay real, which
handicaps omni by the same factor.

Oversold = accepted marketplace orders beyond the units that existed, per
product. Every omni order that could not be reserved must be left "needs
attention": their count must equal omni's oversold count. Prints one JSON
object on stdout.
"""

import random
import statistics
import sys
import threading
import time
from datetime import timezone

import _common as bc

NAME = "oversell_storm"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--units", type=int, nargs=2, default=(1, 3), metavar=("MIN", "MAX"),
                        help="units in stock per product (1 3)")
    parser.add_argument("--rate", type=float, default=2.0,
                        help="buyers per simulated minute, both marketplaces together (2)")
    parser.add_argument("--compression", type=float, default=60.0,
                        help="simulated seconds per real second (60)")
    parser.add_argument("--sim-minutes", type=float, default=90.0,
                        help="length of the storm in simulated minutes (90)")
    parser.add_argument("--baseline-period", type=float, default=15.0,
                        help="baseline batch sync period, simulated minutes (15)")
    parser.add_argument("--import-every", type=float, default=1.0,
                        help="real seconds between order import requests (1)")
    parser.add_argument("--delay", type=int, default=1, help="channel sync delay, s (1)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS)
    parser.add_argument("--drain-timeout", type=float, default=90.0,
                        help="real seconds to wait for omni to import everything")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--target-ratio", type=float, default=100.0)
    return parser.parse_args(argv)


class Display:
    """Every change of a quantity shown on a marketplace, with its time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.changes = {}  # (sim index, sku) -> [(time, qty)]

    def note(self, index, sku, qty, when):
        with self.lock:
            self.changes.setdefault((index, sku), []).append((when, qty))

    def first_zero_at_or_after(self, index, sku, moment):
        """First time >= moment at which the marketplace showed 0, or None."""
        with self.lock:
            changes = sorted(self.changes.get((index, sku), []))
        shown = None
        for when, qty in changes:
            if when <= moment:
                shown = qty
                continue
            if shown == 0:
                return moment
            if qty == 0:
                return when
            shown = qty
        return moment if shown == 0 else None


def setup(registry, args, sims, rng):
    with bc.odoo_env(registry, {"tracking_disable": True}) as env:
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1)
        products = env["product.product"].create([
            {"name": f"Storm product {i}", "default_code": f"STORM-{i:02d}",
             "is_storable": True, "list_price": 500.0 + 10 * i}
            for i in range(args.products)
        ])
        stock = {p.default_code: rng.randint(*args.units) for p in products}
        quants = env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id,
             "inventory_quantity": stock[p.default_code]}
            for p in products
        ])
        quants.action_apply_inventory()
        channels = env["omni.channel"].create([
            {"name": f"Marketplace {chr(65 + i)}", "channel_type": "generic",
             "api_url": sim.url, "api_key": sim.api_key,
             "warehouse_ids": [(6, 0, warehouse.ids)], "sync_delay": args.delay,
             "sync_price": False, "sync_orders": True, "order_policy": "confirm"}
            for i, sim in enumerate(sims)
        ])
        env["omni.product.binding"].create([
            {"channel_id": c.id, "product_id": p.id} for c in channels for p in products
        ])
        return {"stock": stock, "channel_ids": channels.ids,
                "products": {p.default_code: p.id for p in products}}


class Importer(threading.Thread):
    """Asks for an order import on every channel at a fixed real interval."""

    def __init__(self, registry, channel_ids, every):
        super().__init__(name="omni-bench-importer", daemon=True)
        self.registry, self.channel_ids, self.every = registry, channel_ids, every
        self.stopping = threading.Event()
        self.requests = 0
        self.errors = []

    def run(self):
        while not self.stopping.is_set():
            try:
                with bc.odoo_env(self.registry) as env:
                    env["omni.channel"].browse(self.channel_ids).action_import_orders_now()
                self.requests += 1
            except Exception as err:  # keep importing; report at the end
                self.errors.append(repr(err))
            self.stopping.wait(self.every)

    def stop(self):
        self.stopping.set()
        if self.ident is not None:
            self.join(timeout=10)


def wait_shown(sims, expected, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(sim.offer(sku)["quantity"] == qty for sim in sims
               for sku, qty in expected.items()):
            return True
        time.sleep(0.05)
    return False


def buyer(index):
    return {"name": f"Покупець {index}", "phone": f"+38067{1000000 + index:07d}",
            "email": f"buyer{index}@example.com"}


def storm(args, ctx, omni_sims, base_sims, base_display, rng):
    """Play the buyer stream on both arms; the baseline syncs on its period."""
    stock = ctx["stock"]
    skus = sorted(stock)
    interval = 60.0 / (args.rate * args.compression)
    period = args.baseline_period * 60.0 / args.compression
    count = int(args.sim_minutes * args.rate)
    accepted = {"omni": [], "baseline": []}  # (time, marketplace, sku, order id)
    sold_base = dict.fromkeys(skus, 0)
    syncs = 0
    start = time.monotonic()
    next_sync = start
    for k in range(count):
        due = start + k * interval
        while True:
            now = time.monotonic()
            if now >= next_sync:  # the baseline's batch sync
                for index, sim in enumerate(base_sims):
                    for sku in skus:
                        qty = max(0, stock[sku] - sold_base[sku])
                        sim.add_offer(sku, quantity=qty, price="1.00")
                        base_display.note(index, sku, qty, time.monotonic())
                syncs += 1
                next_sync += period
                continue
            if now >= due:
                break
            time.sleep(min(due, next_sync) - now)
        market = rng.randrange(2)
        sku = rng.choice(skus)
        customer = buyer(rng.randrange(40))
        for arm, sims in (("omni", omni_sims), ("baseline", base_sims)):
            try:
                order = sims[market].place_order(customer, [{"sku": sku, "quantity": 1}])
            except bc.order_refused():
                continue
            when = sims[market].order_times[order["id"]]
            accepted[arm].append((when, market, sku, order["id"]))
            if arm == "baseline":
                sold_base[sku] += 1
    return accepted, count, syncs, time.monotonic() - start


def omni_state(registry, channel_ids):
    with bc.odoo_env(registry) as env:
        cr = env.cr
        cr.execute(
            """
            SELECT o.channel_id, o.external_id, o.state, o.attention_reason
              FROM omni_external_order o WHERE o.channel_id = ANY(%s)
            """,
            [channel_ids],
        )
        orders = cr.fetchall()
        cr.execute(
            """
            SELECT count(*) FILTER (WHERE state IN ('pending', 'enqueued', 'started')),
                   count(*) FILTER (WHERE state = 'failed')
              FROM queue_job WHERE identity_key LIKE 'omni:%%'
            """
        )
        waiting, failed = cr.fetchone()
        return orders, waiting, failed


def drain(registry, args, ctx, accepted, importer):
    """Wait until omni stored and mapped every accepted order, then for its jobs."""
    want = len(accepted)
    deadline = time.monotonic() + args.drain_timeout
    while time.monotonic() < deadline:
        orders, waiting, failed = omni_state(registry, ctx["channel_ids"])
        settled = [o for o in orders if o[2] in ("imported", "needs_attention")]
        if len(settled) >= want:
            break
        time.sleep(0.5)
    importer.stop()
    while True:
        orders, waiting, failed = omni_state(registry, ctx["channel_ids"])
        if not waiting or time.monotonic() > deadline:
            return orders, waiting, failed
        time.sleep(0.5)


def reservations(registry, ctx):
    """Units on confirmed sale orders per product, against the stock that existed."""
    with bc.odoo_env(registry) as env:
        env.cr.execute(
            """
            SELECT l.product_id, SUM(l.product_uom_qty)
              FROM sale_order_line l JOIN sale_order s ON s.id = l.order_id
             WHERE s.state = 'sale' AND s.omni_channel_id = ANY(%s)
             GROUP BY l.product_id
            """,
            [ctx["channel_ids"]],
        )
        return dict(env.cr.fetchall())


def process_latency(registry, ctx, accepted, clock_offset):
    """Order accepted on a marketplace -> its mapping job done (reserved or flagged)."""
    with bc.odoo_env(registry) as env:
        env.cr.execute(
            """
            SELECT o.channel_id, o.external_id, max(j.date_done)
              FROM omni_external_order o
              JOIN queue_job j ON j.identity_key =
                   'omni:' || o.channel_id || ':order:' || o.id
             WHERE o.channel_id = ANY(%s) AND j.state = 'done'
             GROUP BY o.channel_id, o.external_id
            """,
            [ctx["channel_ids"]],
        )
        done = {(cid, ext): when for cid, ext, when in env.cr.fetchall()}
    out = []
    for when, market, _sku, order_id in accepted:
        finished = done.get((ctx["channel_ids"][market], order_id))
        if finished is not None:
            epoch = finished.replace(tzinfo=timezone.utc).timestamp()
            out.append(epoch - (when + clock_offset))
    return out


def oversold(stock, accepted):
    sold = dict.fromkeys(stock, 0)
    for _when, _market, sku, _oid in accepted:
        sold[sku] += 1
    over = {sku: max(0, sold[sku] - stock[sku]) for sku in stock}
    within = sum(min(sold[sku], stock[sku]) for sku in stock)
    return sum(over.values()), over, sold, within


def exposure_windows(stock, accepted, display, markets=2):
    """Per product: from the sale of its last unit until both marketplaces show 0."""
    sold = dict.fromkeys(stock, 0)
    windows = []
    for when, _market, sku, _oid in sorted(accepted):
        sold[sku] += 1
        if sold[sku] != stock[sku]:
            continue
        zeros = [display.first_zero_at_or_after(m, sku, when) for m in range(markets)]
        windows.append(None if None in zeros else max(zeros) - when)
    return windows


def window_stats(windows):
    complete = [w for w in windows if w is not None]
    return {
        "p50": bc.rounded(bc.percentile(complete, 50)),
        "p95": bc.rounded(bc.percentile(complete, 95)),
        "max": bc.rounded(max(complete) if complete else None),
        "mean": bc.rounded(statistics.fmean(complete) if complete else None),
        "sold_out_products": len(windows),
        "never_zero": len(windows) - len(complete),
    }


def summarize(args, ctx, result_parts):
    (accepted, intents, syncs, storm_s, orders, waiting, failed, reserved,
     windows, latencies, importer, server_errors, setup_s) = result_parts
    stock = ctx["stock"]
    omni_over, omni_by_sku, omni_sold, omni_within = oversold(stock, accepted["omni"])
    base_over, _by, base_sold, base_within = oversold(stock, accepted["baseline"])
    attention = [o for o in orders if o[2] == "needs_attention"]
    stock_reasons = [o for o in attention if "Not enough stock" in (o[3] or "")]
    states = {}
    for order in orders:
        states[order[2]] = states.get(order[2], 0) + 1
    over_reserved = {
        sku: reserved.get(pid, 0.0) - stock[sku]
        for sku, pid in ctx["products"].items() if reserved.get(pid, 0.0) > stock[sku]
    }
    if omni_over:
        ratio = base_over / omni_over
        ratio_value, ratio_met = bc.rounded(ratio, 2), ratio >= args.target_ratio
        note = None
    else:
        ratio_value, ratio_met = "inf", True
        note = f"omni oversold 0 units; the baseline oversold {base_over}"
    omni_windows = window_stats(windows["omni"])
    base_windows = window_stats(windows["baseline"])
    omni_mean, base_mean = omni_windows["mean"], base_windows["mean"]
    ratio_figure = bc.figure(ratio_value, f">= {args.target_ratio:g}", ratio_met)
    if note:
        ratio_figure["note"] = note
    return {
        "figures": {
            "oversold_ratio_baseline_over_omni": ratio_figure,
            "omni_oversold_units": bc.figure(omni_over, "0", omni_over == 0),
            "baseline_oversold_units": bc.figure(
                base_over, "informative (what omni is compared with)", True),
            "unreservable_orders_flagged": bc.figure(
                len(attention), f"= omni oversold ({omni_over})",
                len(attention) == omni_over,
                stock_shortage_reason=len(stock_reasons)),
            "over_reserved_units": bc.figure(
                sum(over_reserved.values()), "0 (Odoo never reserves more than exists)",
                not over_reserved),
        },
        "units_in_stock": sum(stock.values()),
        "products": len(stock),
        "buyers": intents,
        "omni": {
            "orders_accepted": len(accepted["omni"]),
            "units_sold_within_stock": omni_within,
            "oversold_units": omni_over,
            "oversold_by_product": {k: v for k, v in omni_by_sku.items() if v},
            "external_orders": len(orders),
            "external_orders_by_state": states,
            "needs_attention": len(attention),
            "needs_attention_for_stock": len(stock_reasons),
            "other_attention_reasons": sorted({(o[3] or "")[:160] for o in attention
                                               if o not in stock_reasons})[:5],
            "over_reserved_by_product": over_reserved,
            "jobs_still_waiting": waiting,
            "jobs_failed": failed,
            "import_requests": importer.requests,
            "import_request_errors": importer.errors[:3],
            "order_accepted_to_mapped_s": {
                "p50": bc.rounded(bc.percentile(latencies, 50)),
                "p95": bc.rounded(bc.percentile(latencies, 95)),
                "max": bc.rounded(max(latencies) if latencies else None),
                "measured": len(latencies),
            },
            "last_unit_sold_to_zero_everywhere_real_s": omni_windows,
            "server_error_lines": server_errors[0],
            "server_transactions_replayed": server_errors[1],
        },
        "baseline": {
            "orders_accepted": len(accepted["baseline"]),
            "units_sold_within_stock": base_within,
            "oversold_units": base_over,
            "batch_syncs": syncs,
            "last_unit_sold_to_zero_everywhere_real_s": base_windows,
        },
        "exposure_windows": {
            "what": "from the sale of a product's last unit until both marketplaces show 0; "
            "oversells can only happen inside these windows",
            "omni_mean_real_s": omni_mean,
            "baseline_mean_real_s": base_mean,
            "baseline_mean_simulated_s": bc.rounded(
                base_mean * args.compression if base_mean is not None else None, 1),
            "ratio_in_this_run": bc.rounded(base_mean / omni_mean, 1)
            if omni_mean and base_mean is not None else None,
            "ratio_uncompressed": bc.rounded(base_mean * args.compression / omni_mean, 1)
            if omni_mean and base_mean is not None else None,
            "note": "omni's window is real latency; compressing time multiplies its weight "
            "against the buyers by the compression factor, so the oversold ratio of this "
            "run is bounded by about ratio_in_this_run; ratio_uncompressed compares the "
            "baseline's window in simulated (real-world) seconds with omni's real one",
        },
        "config": {
            "compression": f"1 real s = {args.compression:g} simulated s",
            "buyers_per_simulated_minute": args.rate,
            "buyers_per_real_second": bc.rounded(args.rate * args.compression / 60.0),
            "storm_simulated_minutes": args.sim_minutes,
            "storm_real_seconds": bc.rounded(storm_s, 1),
            "baseline_period_simulated_min": args.baseline_period,
            "baseline_period_real_s": bc.rounded(args.baseline_period * 60 / args.compression),
            "omni_order_import_every_real_s": args.import_every,
            "omni_order_import_every_simulated_s": args.import_every * args.compression,
            "sync_delay_s": args.delay,
            "units_per_product": list(args.units),
            "units_per_order": 1,
            "workers": args.workers,
            "queue_job_channels": args.channels_config,
            "seed": args.seed,
        },
        "setup_seconds": bc.rounded(setup_s, 1),
    }


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    rng = random.Random(args.seed)
    sim_cls = bc.timed_simulator_class()
    omni_sims = [sim_cls(api_key=f"storm-key-{i}-x9", shop=f"Marketplace {chr(65 + i)}")
                 .start() for i in range(2)]
    base_sims = [sim_cls(api_key=f"batch-key-{i}-x9") for i in range(2)]  # no HTTP needed
    display, base_display = Display(), Display()

    def on_change(sim, kind, key, value, when):
        if kind in ("stock", "order"):
            display.note(omni_sims.index(sim), key, value, when)

    def on_base_order(sim, kind, key, value, when):
        if kind == "order":
            base_display.note(base_sims.index(sim), key, value, when)

    for sim in base_sims:
        sim.listener = on_base_order

    t0 = time.monotonic()
    clock_offset = time.time() - time.monotonic()
    try:
        with bc.bench_database(args, NAME) as db:
            registry = bc.odoo_registry(db)
            for i in range(args.products):
                for sim in omni_sims + base_sims:
                    sim.add_offer(f"STORM-{i:02d}", quantity=0, price="1.00")
            ctx = setup(registry, args, omni_sims, rng)
            for sim in omni_sims:
                sim.listener = on_change
            server = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
            importer = Importer(registry, ctx["channel_ids"], args.import_every)
            try:
                server.start()
                server.wait_ready()
                if not wait_shown(omni_sims, ctx["stock"], 90):
                    raise RuntimeError("the initial stock did not reach the marketplaces")
                setup_s = time.monotonic() - t0
                bc.log(f"ready after {setup_s:.1f}s; storm of {args.sim_minutes:g} "
                       f"simulated minutes")
                importer.start()
                accepted, intents, syncs, storm_s = storm(
                    args, ctx, omni_sims, base_sims, base_display, rng)
                bc.log(f"storm over: omni accepted {len(accepted['omni'])}, baseline "
                       f"{len(accepted['baseline'])}; draining")
                orders, waiting, failed = drain(registry, args, ctx, accepted["omni"],
                                                importer)
                reserved = reservations(registry, ctx)
                latencies = process_latency(registry, ctx, accepted["omni"], clock_offset)
                windows = {
                    "omni": exposure_windows(ctx["stock"], accepted["omni"], display),
                    "baseline": exposure_windows(ctx["stock"], accepted["baseline"],
                                                 base_display),
                }
                result = summarize(args, ctx, (
                    accepted, intents, syncs, storm_s, orders, waiting, failed, reserved,
                    windows, latencies, importer,
                    (len(server.errors()), server.concurrency_errors()), setup_s))
            finally:
                importer.stop()
                server.stop()
                server.cleanup()
            registry = None
    finally:
        for sim in omni_sims:
            sim.stop()
    result["total_seconds"] = bc.rounded(time.monotonic() - t0, 1)
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
