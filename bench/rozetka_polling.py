#!/usr/bin/env python3
"""Rozetka polling: requests per hour when quiet, and a sale's way to another channel.

A real Odoo server (HTTP workers and the queue_job runner) polls a
RozetkaSimulator with the shipped settings of a Rozetka channel (check every
5 s, every 1 s for 5 minutes after a new order, full check every 300 s, sync
delay 0); a second channel (a generic
marketplace simulator) shows the same products. Both simulators live in this
process.

1. Quiet: no order for ``--quiet-minutes``; every request the server sends to
   Rozetka is counted and scaled to an hour.
2. Orders: ``--orders`` buyers, 2-4 s apart, each buys one unit of a product
   not already in flight on Rozetka. Latency of an order = the moment the
   second channel's simulator applies the lowered quantity - the moment the
   buyer placed the order (both on this process's monotonic clock): the poll
   wait, the import, the sale order confirmed (reservation), the coalesced
   stock push.
"""

import random
import subprocess
import sys
import threading
import time

import _common as bc

NAME = "rozetka_polling"
ADDON = "omni_marketplace_rozetka"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--quiet-minutes", type=float, default=3.0)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--products", type=int, default=40)
    parser.add_argument("--spacing", type=float, nargs=2, default=(2.0, 4.0))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS)
    parser.add_argument("--order-timeout", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=20251103)
    parser.add_argument("--target-p95", type=float, default=15.0,
                        help="seconds, order placed -> second channel updated (15)")
    parser.add_argument("--target-per-hour", type=float, default=800.0,
                        help="requests an hour when nothing happens (800)")
    return parser.parse_args(argv)


def install(db):
    cmd = [bc.python(), "-m", "odoo", "-d", db, f"--addons-path={bc.addons_path()}",
           "-i", ADDON, "--stop-after-init", "--without-demo=all", "--log-level=warn"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)


class Tracker:
    """Orders in flight by SKU; the second channel reports the quantities it applies."""

    def __init__(self):
        self.lock = threading.Condition()
        self.pending = {}  # sku -> {"placed": t, "value": expected quantity}
        self.done = []

    def expect(self, sku, value, placed):
        with self.lock:
            self.pending[sku] = {"sku": sku, "value": value, "placed": placed}

    def on_applied(self, sim, kind, key, value, when):
        if kind != "stock":
            return
        with self.lock:
            entry = self.pending.get(key)
            if entry and value <= entry["value"]:
                entry["arrived"] = when
                self.done.append(self.pending.pop(key))
                self.lock.notify_all()

    def busy(self):
        with self.lock:
            return set(self.pending)

    def wait_all(self, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.pending and time.monotonic() < deadline:
                self.lock.wait(0.05)
            return dict(self.pending)


def setup(registry, args, rz_sim, other):
    with bc.odoo_env(registry, {"tracking_disable": True}) as env:
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)],
                                                  limit=1)
        products = env["product.product"].create([
            {"name": f"Polling product {i}", "default_code": f"POLL-{i:03d}",
             "is_storable": True, "list_price": 200.0 + i} for i in range(args.products)])
        quants = env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id,
             "inventory_quantity": 50} for p in products])
        quants.action_apply_inventory()
        pricelist = env["product.pricelist"].create({"name": "Bench prices"})
        rozetka = env["omni.channel"].create({
            "name": "Rozetka", "channel_type": "rozetka", "rozetka_api_url": rz_sim.url,
            "rozetka_login": rz_sim.username, "rozetka_password": rz_sim.password,
            "warehouse_ids": [(6, 0, warehouse.ids)], "pricelist_id": pricelist.id,
            "order_import_days": 1,
        })  # shipped settings: check every 5 s, full check every 300 s, sync delay 1 s
        second = env["omni.channel"].create({
            "name": "Second marketplace", "channel_type": "generic", "api_url": other.url,
            "api_key": other.api_key, "warehouse_ids": [(6, 0, warehouse.ids)],
            "sync_orders": False, "sync_price": False,
        })
        for product in products:
            item = rz_sim.add_item(product.default_code, product.name, quantity=0,
                                   price=product.list_price)
            other.add_offer(product.default_code, quantity=0, price="1.00")
            env["omni.product.binding"].create([
                {"channel_id": rozetka.id, "product_id": product.id,
                 "sku": product.default_code, "external_id": str(item["rz_item_id"])},
                {"channel_id": second.id, "product_id": product.id}])
        config = {
            "order_poll_interval_s": rozetka.order_poll_interval,
            "full_check_every_s": rozetka.rozetka_full_check_every,
            "sync_delay_s": rozetka.sync_delay,
        }
        return rozetka.id, [p.default_code for p in products], config


def start_polling(registry, channel_id):
    """What the scheduled action does every minute (the benchmark's server has no cron)."""
    with bc.odoo_env(registry) as env:
        env["omni.channel"].browse(channel_id)._omni_enqueue_import()


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    from omni_sandbox.rozetka import RozetkaSimulator

    rng = random.Random(args.seed)
    rz_sim = RozetkaSimulator().start()
    other = bc.timed_simulator_class()(api_key="bench-key-b-x9", shop="Second").start()
    tracker = Tracker()
    t0 = time.monotonic()
    try:
        with bc.bench_database(args, NAME) as db:
            bc.log(f"installing {ADDON}")
            install(db)
            registry = bc.odoo_registry(db)
            channel_id, skus, config = setup(registry, args, rz_sim, other)
            server = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
            try:
                server.start()
                server.wait_ready()
                start_polling(registry, channel_id)
                if not wait_for(lambda: all(other.offer(s)["quantity"] == 50 for s in skus)
                                and all(rz_sim.item(s)["stock_quantity"] == 50
                                        for s in skus), 120):
                    raise RuntimeError("the initial stock did not reach the simulators")
                time.sleep(12)  # the first import and a few polls settle
                setup_s = time.monotonic() - t0
                # 1. quiet
                with rz_sim.lock:
                    rz_sim.requests.clear()
                quiet_s = args.quiet_minutes * 60
                bc.log(f"quiet for {quiet_s:.0f}s")
                time.sleep(quiet_s)
                with rz_sim.lock:
                    quiet = list(rz_sim.requests)
                by_path = {}
                for entry in quiet:
                    key = f"{entry['method']} {entry['path']}"
                    by_path[key] = by_path.get(key, 0) + 1
                per_hour = len(quiet) * 3600.0 / quiet_s
                # 2. orders
                other.listener = tracker.on_applied
                remaining = {s: 50 for s in skus}
                placed_n = 0
                with rz_sim.lock:
                    rz_sim.requests.clear()
                started = time.monotonic()
                bc.log(f"{args.orders} orders")
                for _i in range(args.orders):
                    due = time.monotonic() + rng.uniform(*args.spacing)
                    free = [s for s in skus if s not in tracker.busy()]
                    sku = rng.choice(free)
                    remaining[sku] -= 1
                    rz_sim.place_order([{"sku": sku, "quantity": 1}])
                    tracker.expect(sku, remaining[sku], time.monotonic())
                    placed_n += 1
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                lost = tracker.wait_all(args.order_timeout)
                elapsed = time.monotonic() - started
                with rz_sim.lock:
                    busy_requests = len(rz_sim.requests)
                latencies = [e["arrived"] - e["placed"] for e in tracker.done]
                p50 = bc.percentile(latencies, 50)
                p95 = bc.percentile(latencies, 95)
                with bc.odoo_env(registry) as env:
                    confirmed = env["sale.order"].search_count(
                        [("omni_channel_id", "=", channel_id), ("state", "=", "sale")])
                result = {
                    "figures": {
                        "quiet_requests_per_hour": bc.figure(
                            round(per_hour), f"<= {args.target_per_hour:g}",
                            per_hour <= args.target_per_hour, unit="requests/h"),
                        "order_to_second_channel_p50_s": bc.figure(
                            bc.rounded(p50), "reported", p50 is not None, unit="s"),
                        "order_to_second_channel_p95_s": bc.figure(
                            bc.rounded(p95), f"< {args.target_p95:g}",
                            p95 is not None and p95 < args.target_p95 and not lost,
                            unit="s"),
                    },
                    "quiet": {"seconds": quiet_s, "requests": len(quiet),
                              "by_path": by_path,
                              "requests_per_day": round(per_hour * 24)},
                    "orders": {"placed": placed_n, "reached_second_channel": len(latencies),
                               "lost": len(lost), "confirmed_sale_orders": confirmed,
                               "rozetka_requests": busy_requests,
                               "rozetka_requests_per_order": bc.rounded(
                                   busy_requests / placed_n if placed_n else None),
                               "seconds": bc.rounded(elapsed, 1)},
                    "latency_s": {
                        "p50": bc.rounded(p50), "p95": bc.rounded(p95),
                        "max": bc.rounded(max(latencies) if latencies else None),
                        "min": bc.rounded(min(latencies) if latencies else None)},
                    "config": {**config, "workers": args.workers,
                               "queue_job_channels": args.channels_config,
                               "spacing_s": list(args.spacing), "seed": args.seed},
                    "setup_seconds": bc.rounded(setup_s, 1),
                    "server_error_lines": len(server.errors()),
                    "load_average": bc.load_average(),
                }
            finally:
                server.stop()
                server.cleanup()
            registry = None
    finally:
        rz_sim.stop()
        other.stop()
    result["total_seconds"] = bc.rounded(time.monotonic() - t0, 1)
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
