#!/usr/bin/env python3
"""Rozetka order import: 1,000 simulator orders into confirmed sale orders.

A RozetkaSimulator in this process holds 1,000 new orders (1-3 lines of 50
products, stock enough for all). The Rozetka channel's import job runs in
this process (``_omni_import_orders``: the cheap check, then the full orders
in pages of 100, each stored raw), then every order's own job maps it, finds
or creates the customer, creates and confirms the sale order (reserving the
stock). Jobs are run here one after the other, each committed, exactly as the
job runner would run them on one worker. Figures: orders per second from the
first request to the last confirmed sale order, and the process's peak memory
(resident set). The status jobs (accepted, sent back to Rozetka) and the
stock pushes the reservations trigger run afterwards and are timed apart.
"""

import random
import resource
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
    return parser.parse_args(argv)


def install(db):
    cmd = [bc.python(), "-m", "odoo", "-d", db, f"--addons-path={bc.addons_path()}",
           "-i", ADDON, "--stop-after-init", "--without-demo=all", "--log-level=warn"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


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
            "order_poll_interval": 0, "sync_price": False, "sync_delay": 1,
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


def pending(registry, key_like):
    with bc.odoo_env(registry) as env:
        jobs = env["queue.job"].search(
            [("identity_key", "=like", key_like), ("state", "=", "pending")], order="id")
        return jobs.mapped("uuid")


def run_job(registry, uuid):
    from odoo.addons.queue_job.job import Job

    with bc.odoo_env(registry) as env:
        job = Job.load(env, uuid)
        job.set_started()
        job.store()
        env.cr.commit()
        try:
            result = job.perform()
        except Exception as err:  # noqa: BLE001 - counted, the benchmark goes on
            env.cr.rollback()
            job = Job.load(env, uuid)
            job.set_failed(exc_info=str(err))
            job.store()
            return False
        job.set_done(result=result)
        job.store()
        return True


def run_all(registry, key_like):
    ok = failed = 0
    while True:
        uuids = pending(registry, key_like)
        if not uuids:
            return ok, failed
        for uuid in uuids:
            if run_job(registry, uuid):
                ok += 1
            else:
                failed += 1


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
        run_all(registry, f"omni:{channel_id}:%")  # the initial stock push
        place_orders(sim, skus, args.orders, rng)
        setup_s = time.monotonic() - started
        sim.requests.clear()
        rss_before = rss_mb()
        bc.log(f"importing {args.orders} orders")
        t0 = time.monotonic()
        with bc.odoo_env(registry) as env:
            fetched = env["omni.channel"].browse(channel_id)._omni_import_orders()
        t_fetch = time.monotonic() - t0
        ok, failed = run_all(registry, f"omni:{channel_id}:order:%")
        t_import = time.monotonic() - t0
        rss_after = rss_mb()
        fetch_requests = len(sim.requests)
        bc.log(f"{ok} orders in {t_import:.1f}s; status and stock jobs")
        t1 = time.monotonic()
        status_ok, status_failed = run_all(registry, f"omni:{channel_id}:%")
        t_status = time.monotonic() - t1
        with bc.odoo_env(registry) as env:
            sales = env["sale.order"].search([("omni_channel_id", "=", channel_id)])
            confirmed = sum(1 for s in sales if s.state == "sale")
            attention = env["omni.external.order"].search_count(
                [("channel_id", "=", channel_id), ("state", "=", "needs_attention")])
        accepted = sum(1 for o in sim.orders.values() if o["status"] == 26)
        rate = confirmed / t_import if t_import else 0.0
        result = {
            "figures": {
                "orders_per_second": bc.figure(round(rate, 1), f">= {args.target}",
                                               rate >= args.target, unit="orders/s"),
                "peak_memory_mb": bc.figure(round(rss_after, 1), "reported", True, unit="MB",
                                            increase_during_import_mb=round(
                                                rss_after - rss_before, 1)),
            },
            "orders": args.orders,
            "confirmed_sale_orders": confirmed,
            "needs_attention": attention,
            "order_jobs": {"done": ok, "failed": failed},
            "import_seconds": round(t_import, 2),
            "fetch_seconds": round(t_fetch, 2),
            "fetch_requests": fetch_requests,
            "fetch_result": fetched,
            "status_and_stock_jobs": {"done": status_ok, "failed": status_failed,
                                      "seconds": round(t_status, 2),
                                      "accepted_on_rozetka": accepted},
            "setup_seconds": round(setup_s, 1),
            "load_average": bc.load_average(),
        }
        bc.close_registry(db)
        return bc.emit(NAME, result)


if __name__ == "__main__":
    main()
