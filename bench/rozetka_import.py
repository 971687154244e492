#!/usr/bin/env python3
"""Rozetka order import: 1,000 simulator orders into confirmed sale orders.

A RozetkaSimulator in this process holds 1,000 new orders (1-3 lines of 50
products, stock enough for all). A real Odoo server (HTTP workers and the
queue_job runner, the channel capacities ``odoo.conf.example`` ships: order
jobs 2 at a time) does the work as in production: the click on "Import now"
queues the channel's import job (the cheap check, then the full orders in
pages of 100, each stored raw), which queues one job per order; each maps the
order, finds or creates the customer, creates and confirms the sale order
(reserving the stock). The status jobs (accepted, sent back to Rozetka) share
the order jobs' channel and the stock pushes the reservations trigger run in
their own, all at the same time, as shipped. Figures: orders per second from
the click to the last order confirmed, the peak memory of the server's
processes, and apart the seconds until the status and stock jobs are done.
"""

import random
import subprocess
import sys
import time

import _common as bc

NAME = "rozetka_import"
ADDON = "omni_marketplace_rozetka"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--orders", type=int, default=1000, help="orders to import (1000)")
    parser.add_argument("--products", type=int, default=50, help="products (50)")
    parser.add_argument("--seed", type=int, default=20251103)
    parser.add_argument("--target", type=float, default=10.0, help="orders per second (10)")
    parser.add_argument("--workers", type=int, default=bc.DEFAULT_WORKERS,
                        help="Odoo HTTP workers (4, as odoo.conf.example)")
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS,
                        help="[queue_job] channels of the server (as shipped)")
    parser.add_argument(
        "--mapping-only", action="store_true",
        help="status and stock pushes off: the order jobs alone (as the benchmark measured "
        "before, for comparison); not the shipped set-up")
    parser.add_argument(
        "--poll-interval", default="0",
        help="the channel's order polling, s: 0 (default) imports once, as the click does; "
        "'shipped' keeps the Rozetka default (every 5 s), which during the run re-reads the "
        "day's changed orders and re-maps each order once its status was sent")
    return parser.parse_args(argv)


def install(db):
    cmd = [bc.python(), "-m", "odoo", "-d", db, f"--addons-path={bc.addons_path()}",
           "-i", ADDON, "--stop-after-init", "--without-demo=all", "--log-level=warn"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def setup(registry, args, sim):
    with bc.odoo_env(registry, {"tracking_disable": True}) as env:
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)],
                                                  limit=1)
        products = env["product.product"].create([
            {"name": f"Rozetka product {i}", "default_code": f"RZ-{i:03d}",
             "is_storable": True, "list_price": 100.0 + i}
            for i in range(args.products)])
        quants = env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id,
             "inventory_quantity": 10_000} for p in products])
        quants.action_apply_inventory()
        channel = env["omni.channel"].create({
            "name": "Rozetka bench", "channel_type": "rozetka",
            "rozetka_api_url": sim.url, "rozetka_login": sim.username,
            "rozetka_password": sim.password, "warehouse_ids": [(6, 0, warehouse.ids)],
            # orders are switched on at the click; everything else as shipped
            "sync_orders": False, "sync_price": False,
            **({} if args.poll_interval == "shipped"
               else {"order_poll_interval": int(args.poll_interval)}),
            **({"sync_stock": False, "push_order_status": False} if args.mapping_only
               else {}),
        })
        for product in products:
            item = sim.add_item(product.default_code, product.name, quantity=10_000,
                                price=product.list_price)
            env["omni.product.binding"].create({
                "channel_id": channel.id, "product_id": product.id,
                "sku": product.default_code, "external_id": str(item["rz_item_id"])})
        return channel.id, [p.default_code for p in products]


def place_orders(sim, skus, count, rng):
    for index in range(count):
        lines = [{"sku": sku, "quantity": rng.randint(1, 2)}
                 for sku in rng.sample(skus, rng.randint(1, 3))]
        sim.place_order(lines, customer={
            "first_name": rng.choice(["Олена", "Тарас", "Ірина", "Богдан"]),
            "last_name": rng.choice(["Бондаренко", "Шевченко", "Коваль", "Мельник"]),
            "second_name": "Іванівна",
            "phone": f"38067{1000000 + index * 7 % 9000000:07d}",
        })


def wait_idle(registry, channel_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with bc.odoo_env(registry) as env:
            jobs = bc.channel_jobs(env, channel_id)
        if not any(jobs.get(s) for s in ("pending", "enqueued", "started")):
            return jobs
        time.sleep(0.2)
    raise RuntimeError(f"the channel's jobs did not end: {jobs}")


def main(argv=None):
    args = parse_args(argv)
    bc.stop_on_sigterm()
    from omni_sandbox.rozetka import RozetkaSimulator

    rng = random.Random(args.seed)
    with bc.bench_database(args, NAME) as db, RozetkaSimulator() as sim:
        bc.log(f"installing {ADDON}")
        install(db)
        registry = bc.odoo_registry(db)
        started = time.monotonic()
        channel_id, skus = setup(registry, args, sim)
        server = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
        try:
            server.start()
            server.wait_ready()
            wait_idle(registry, channel_id)  # the initial stock push
            place_orders(sim, skus, args.orders, rng)
            setup_s = time.monotonic() - started
            sim.requests.clear()
            bc.log(f"importing {args.orders} orders")
            run = bc.server_import(registry, server, channel_id, args.orders)
            memory = bc.server_memory_mb(server)
            replayed = server.concurrency_errors()
            errors = server.errors()
        finally:
            server.stop()
            server.cleanup()
        accepted = sum(1 for o in sim.orders.values() if o["status"] == 26)
        seconds = run["orders_seconds"]
        rate = run["settled"] / seconds if seconds else 0.0
        result = {
            "figures": {
                "orders_per_second": bc.figure(round(rate, 1), f">= {args.target}",
                                               rate >= args.target, unit="orders/s"),
                "peak_memory_mb": bc.figure(memory["largest_process"], "reported", True,
                                            unit="MB", server=memory),
            },
            "orders": args.orders,
            "confirmed_sale_orders": run["confirmed_sale_orders"],
            "needs_attention": run["external_states"].get("needs_attention", 0),
            "customers": run["customers"],
            "import_seconds": bc.rounded(seconds, 2),
            "cpu_until_settled": run["cpu_until_settled"],
            "all_jobs_done_seconds": bc.rounded(run["all_jobs_seconds"], 2),
            "accepted_on_rozetka": accepted,
            "jobs_by_kind": run["jobs_by_kind"],
            "jobs_left": run["jobs_left"],
            "server_transactions_replayed": replayed,
            "server_errors": errors[:10],
            "requests_to_rozetka": len(sim.requests),
            "setup_seconds": round(setup_s, 1),
            "config": {"queue_job_channels": args.channels_config, "workers": args.workers,
                       "order_poll_interval": args.poll_interval,
                       "status_and_stock_pushes": not args.mapping_only},
            "load_average": bc.load_average(),
        }
        bc.close_registry(db)
        return bc.emit(NAME, result)


if __name__ == "__main__":
    main()
