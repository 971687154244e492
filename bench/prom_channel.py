#!/usr/bin/env python3
"""Prom.ua channel: import 1,000 simulator orders, and push a 20,000-product catalogue.

Two measurements in one database, each against a ``PromSimulator`` serving
real HTTP on loopback, with Odoo loaded in this process:

* **order import**: ``--orders`` orders (default 1,000; 1 to 3 lines each,
  200 distinct buyers, a quarter paid with Prom Payment) are placed on the
  simulator; then the channel's import job (``_omni_import_orders``) runs with
  ``queue_job__no_delay``, so each order's mapping job runs at once in the same
  process: fetch by modification date and id cursor, store raw, map the
  customer, the lines and the delivery, create and confirm the sale order,
  register Prom Payment. Stock pushes and status pushes are off (they run in
  jobs of their own in production and are measured by the other benchmarks).
  Reports orders per second and the peak resident memory of the process
  (``ru_maxrss``) before and after.
* **catalogue push**: ``--bindings`` bindings (default 20,000) never pushed,
  cloned from one prototype with ``INSERT .. SELECT`` (as ``planning_cost``)
  and committed, the tables analysed, then one ``_omni_push("stock")``: the requests sent to
  ``products/edit_by_external_id`` (target ceil(bindings / batch limit)) and
  the seconds it takes.

The addon ``omni_marketplace_prom`` is installed in the database if needed.
Prints one JSON object on stdout.
"""

import math
import random
import resource
import subprocess
import sys
import time

import _common as bc
import planning_cost as pc

NAME = "prom_channel"
ADDON = "omni_marketplace_prom"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--orders", type=int, default=1000, help="orders to import (1000)")
    parser.add_argument("--products", type=int, default=20, help="products ordered (20)")
    parser.add_argument("--bindings", type=int, default=20_000,
                        help="bindings in the catalogue push (20000)")
    parser.add_argument("--batch-limit", type=int, default=100,
                        help="the channel's products per request (100)")
    parser.add_argument("--seed", type=int, default=20250314)
    parser.add_argument("--target-orders-per-second", type=float, default=10.0)
    return parser.parse_args(argv)


def ensure_addon(db):
    out = subprocess.run(
        ["psql", "-d", db, "-Atc",
         f"SELECT state FROM ir_module_module WHERE name = '{ADDON}'"],
        capture_output=True, text=True, check=False)
    if out.stdout.strip() == "installed":
        return
    bc.log(f"installing {ADDON} in {db}")
    subprocess.run(
        [bc.python(), "-m", "odoo", "-d", db, f"--addons-path={bc.addons_path()}",
         "-i", ADDON, "--stop-after-init", "--without-demo=all", "--log-level=warn"],
        check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def prom_channel(env, sim, name, **extra):
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    vals = {
        "name": name, "channel_type": "prom", "api_url": f"{sim.url}/api/v1",
        "prom_token": sim.api_key, "warehouse_ids": [(6, 0, warehouse.ids)],
        "sync_price": False, "order_poll_interval": 0, "push_order_status": False,
    }
    vals.update(extra)
    return env["omni.channel"].create(vals), warehouse


def bench_import(registry, args, rng):
    from omni_sandbox.prom import PromSimulator

    ctx = {"queue_job__no_delay": True, "omni_same_cursor": True}
    with PromSimulator(token="bench-prom-token-x9") as sim:
        with bc.odoo_env(registry) as env:
            channel, warehouse = prom_channel(env, sim, "Prom import bench", sync_stock=False)
            products = env["product.product"].create([
                {"name": f"Prom bench product {i}", "default_code": f"PB-{i:03d}",
                 "is_storable": True, "list_price": 100 + i, "taxes_id": [(6, 0, [])]}
                for i in range(args.products)
            ])
            for product in products:
                env["stock.quant"]._update_available_quantity(
                    product, warehouse.lot_stock_id, float(args.orders * 10))
                sim.add_product(product.default_code, quantity=args.orders * 10,
                                price=str(product.list_price))
            env["omni.product.binding"].create(
                [{"channel_id": channel.id, "product_id": p.id} for p in products])
            channel_id = channel.id
        buyers = [(f"Покупець{i} Тестовий", f"+38067{1000000 + i:07d}") for i in range(200)]
        for index in range(args.orders):
            name, phone = buyers[index % len(buyers)]
            lines = [{"key": f"PB-{k:03d}", "quantity": rng.randint(1, 3)}
                     for k in rng.sample(range(args.products), rng.randint(1, 3))]
            sim.place_order({"name": name, "phone": phone}, lines,
                            payment="prom" if index % 4 == 0 else "cod")
        rss_before = peak_rss_mb()
        cpu_start = time.process_time()
        start = time.perf_counter()
        runs = 0
        with bc.odoo_env(registry, ctx) as env:
            channel = env["omni.channel"].browse(channel_id)
            while True:
                runs += 1
                channel._omni_import_orders()
                env.cr.commit()
                done = env["omni.external.order"].search_count(
                    [("channel_id", "=", channel_id)])
                if done >= args.orders or runs >= 20:
                    break
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start
            states = dict(env["omni.external.order"]._read_group(
                [("channel_id", "=", channel_id)], ["state"], ["__count"]))
            sales = env["sale.order"].search_count(
                [("omni_channel_id", "=", channel_id), ("state", "=", "sale")])
            paid = env["sale.order"].search_count(
                [("omni_channel_id", "=", channel_id), ("omni_collected_source", "=", "channel")])
            partners = len(env["sale.order"].search(
                [("omni_channel_id", "=", channel_id)]).partner_id)
        list_requests = len([r for r in sim.requests if r["path"] == "/api/v1/orders/list"])
    return {
        "seconds": seconds, "orders": args.orders, "import_runs": runs,
        # this process only (PostgreSQL works in its own processes): with the
        # machine shared, wall time grows with the load, CPU time much less
        "process_cpu_seconds": cpu_seconds,
        "orders_per_process_cpu_second": args.orders / cpu_seconds if cpu_seconds else None,
        "external_states": states, "confirmed_sale_orders": sales, "paid_registered": paid,
        "customers": partners, "order_list_requests": list_requests,
        "peak_rss_mb_before": rss_before, "peak_rss_mb_after": peak_rss_mb(),
    }


def build_catalogue(env, args, sim):
    """``args.bindings`` bindings on a Prom channel, never pushed; the products on Prom."""
    cr = env.cr
    channel, warehouse = prom_channel(env, sim, "Prom catalogue bench", sync_orders=False,
                                      prom_batch_limit=args.batch_limit)
    proto = env["product.product"].create({
        "name": "Catalogue product 0", "default_code": "CAT-000000", "is_storable": True})
    env["stock.quant"]._update_available_quantity(proto, warehouse.lot_stock_id, 1.0)
    binding = env["omni.product.binding"].create(
        {"channel_id": channel.id, "product_id": proto.id})
    env.flush_all()
    cr.execute("SELECT id FROM stock_quant WHERE product_id = %s", [proto.id])
    quant_id = cr.fetchone()[0]
    cr.execute(
        """
        CREATE TEMP TABLE bench_map ON COMMIT DROP AS
        SELECT g, 'CAT-' || lpad(g::text, 6, '0') AS code,
               nextval('product_template_id_seq') AS tmpl_id,
               nextval('product_product_id_seq') AS product_id
          FROM generate_series(1, %s) g
        """,
        [args.bindings - 1],
    )
    pc.clone(cr, "product_template", proto.product_tmpl_id.id, {
        "id": "m.tmpl_id",
        "name": "jsonb_build_object('en_US', 'Catalogue product ' || m.g)",
        "default_code": "m.code",
    })
    pc.clone(cr, "product_product", proto.id, {
        "id": "m.product_id", "product_tmpl_id": "m.tmpl_id", "default_code": "m.code"})
    pc.clone(cr, "stock_quant", quant_id, {
        "product_id": "m.product_id", "product_tmpl_id": "m.tmpl_id",
        "quantity": "(1 + mod(m.g, 40))::numeric"})
    pc.clone(cr, "omni_product_binding", binding.id, {
        "product_id": "m.product_id", "sku": "m.code"})
    cr.execute("SELECT sku FROM omni_product_binding WHERE channel_id = %s", [channel.id])
    for (sku,) in cr.fetchall():
        sim.add_product(sku, quantity=0, price="1")
    env.invalidate_all()
    return channel.id


def bench_catalogue(registry, args):
    from omni_sandbox.prom import PromSimulator

    ctx = {"omni_same_cursor": True}
    with PromSimulator(token="bench-prom-token-cat", batch_limit=args.batch_limit) as sim:
        with bc.odoo_env(registry, ctx) as env:
            build_s, channel_id = pc.timed(build_catalogue, env, args, sim)
            bc.log(f"{args.bindings} bindings built in {build_s:.1f}s")
        with bc.odoo_env(registry) as env:
            # as after autovacuum: the planner knows the tables' new sizes
            env.cr.execute("ANALYZE product_template, product_product, stock_quant, "
                           "omni_product_binding, omni_binding_change")
        with bc.odoo_env(registry, ctx) as env:
            channel = env["omni.channel"].browse(channel_id)
            env["omni.product.binding"]._omni_all_of_channels(channel, ("stock",))
            sim.requests.clear()
            push_s, message = pc.timed(channel._omni_push, "stock", in_job=False)
            requests = len([r for r in sim.requests
                            if r["path"] == "/api/v1/products/edit_by_external_id"])
            env.cr.execute(
                "SELECT count(*) FILTER (WHERE sync_state = 'error'), "
                "count(*) FILTER (WHERE last_stock_date IS NOT NULL) "
                "FROM omni_product_binding WHERE channel_id = %s", [channel_id])
            errors, pushed = env.cr.fetchone()
            shown = sum(1 for p in sim.products.values() if p["quantity_in_stock"] > 0)
    return {"seconds": push_s, "requests": requests, "message": message, "errors": errors,
            "bindings_pushed": pushed, "products_showing_stock": shown,
            "build_seconds": build_s}


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    rng = random.Random(args.seed)
    with bc.bench_database(args, NAME) as db:
        ensure_addon(db)
        registry = bc.odoo_registry(db)
        imported = bench_import(registry, args, rng)
        bc.log(f"import: {imported['orders']} orders in {imported['seconds']:.1f}s")
        catalogue = bench_catalogue(registry, args)
        bc.log(f"catalogue: {catalogue['requests']} requests in {catalogue['seconds']:.1f}s")
        registry = None
    rate = imported["orders"] / imported["seconds"] if imported["seconds"] else None
    expected = math.ceil(args.bindings / args.batch_limit)
    result = {
        "figures": {
            "orders_per_second": bc.figure(
                bc.rounded(rate, 1), f">= {args.target_orders_per_second}",
                rate is not None and rate >= args.target_orders_per_second, unit="orders/s"),
            "import_peak_rss_mb": bc.figure(
                bc.rounded(imported["peak_rss_mb_after"], 1), "reported", True, unit="MB",
                before_import=bc.rounded(imported["peak_rss_mb_before"], 1)),
            "catalogue_requests": bc.figure(
                catalogue["requests"], f"= ceil({args.bindings} / {args.batch_limit}) = "
                f"{expected}", catalogue["requests"] == expected),
            "catalogue_push_seconds": bc.figure(
                bc.rounded(catalogue["seconds"]), "reported", True, unit="s"),
        },
        "order_import": {k: (bc.rounded(v) if isinstance(v, float) else v)
                         for k, v in imported.items()},
        "catalogue_push": {k: (bc.rounded(v) if isinstance(v, float) else v)
                           for k, v in catalogue.items()},
        "config": {"orders": args.orders, "products": args.products,
                   "bindings": args.bindings, "batch_limit": args.batch_limit,
                   "seed": args.seed, "status_push": False, "stock_push_during_import": False},
        "load_average": bc.load_average(),
    }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
