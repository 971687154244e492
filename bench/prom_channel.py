#!/usr/bin/env python3
"""Prom.ua channel: import 1,000 simulator orders, and push a 20,000-product catalogue.

Two measurements in one database, each against a ``PromSimulator`` serving
real HTTP on loopback:

* **order import**: ``--orders`` orders (default 1,000; 1 to 3 lines each,
  200 distinct buyers, a quarter paid with Prom Payment) are placed on the
  simulator; then a real Odoo server (HTTP workers and the queue_job runner,
  the channel capacities ``odoo.conf.example`` ships: order jobs 2 at a time)
  does the work from the "Import now" click on: the channel's import job
  (fetch by modification date and id cursor, store raw) queues one job per
  order, which maps the customer, the lines and the delivery, creates and
  confirms the sale order and registers Prom Payment; the status jobs
  (accepted, sent to Prom) and the stock pushes the reservations trigger run
  at the same time, as shipped. Reports orders per second from the click to
  the last order confirmed, the seconds until every job is done, and the
  peak resident memory of the server's processes.
* **catalogue push** (Odoo loaded in this process): ``--bindings`` bindings
  (default 20,000) never pushed,
  cloned from one prototype with ``INSERT .. SELECT`` (as ``planning_cost``)
  and committed, the tables analysed, then one ``_omni_push("stock")``: the requests sent to
  ``products/edit_by_external_id`` (target ceil(bindings / batch limit)) and
  the seconds it takes.

The addon ``omni_marketplace_prom`` is installed in the database if needed.
Prints one JSON object on stdout.
"""

import math
import random
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
    parser.add_argument("--workers", type=int, default=bc.DEFAULT_WORKERS,
                        help="Odoo HTTP workers of the import's server (4, as odoo.conf.example)")
    parser.add_argument("--channels-config", default=bc.DEFAULT_CHANNELS,
                        help="[queue_job] channels of the import's server (as shipped)")
    parser.add_argument(
        "--mapping-only", action="store_true",
        help="status and stock pushes off: the order jobs alone (as the benchmark measured "
        "before, for comparison); not the shipped set-up")
    parser.add_argument(
        "--poll-interval", default="0",
        help="the channel's order polling, s: 0 (default) imports once, as the click does; "
        "'shipped' keeps the Prom default (every 10 s)")
    parser.add_argument("--skip-catalogue", action="store_true",
                        help="measure the order import only")
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


def prom_channel(env, sim, name, **extra):
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    vals = {
        "name": name, "channel_type": "prom", "api_url": f"{sim.url}/api/v1",
        "prom_token": sim.api_key, "warehouse_ids": [(6, 0, warehouse.ids)],
        "sync_price": False, "order_poll_interval": 0, "push_order_status": False,
    }
    vals.update(extra)
    return env["omni.channel"].create(vals), warehouse


def wait_idle(registry, channel_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with bc.odoo_env(registry) as env:
            jobs = bc.channel_jobs(env, channel_id)
        if not any(jobs.get(s) for s in ("pending", "enqueued", "started")):
            return jobs
        time.sleep(0.2)
    raise RuntimeError(f"the channel's jobs did not end: {jobs}")


def bench_import(registry, db, args, rng):
    from omni_sandbox.prom import PromSimulator

    with PromSimulator(token="bench-prom-token-x9") as sim:
        with bc.odoo_env(registry) as env:
            # orders are switched on at the click; stock and status pushes as shipped
            extra = {"sync_orders": False}
            if args.poll_interval != "shipped":
                extra["order_poll_interval"] = int(args.poll_interval)
            channel, warehouse = prom_channel(env, sim, "Prom import bench", **extra)
            channel.push_order_status = not args.mapping_only
            if args.mapping_only:
                channel.sync_stock = False
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
        server = bc.OdooServer(db, workers=args.workers, channels=args.channels_config)
        try:
            server.start()
            server.wait_ready()
            wait_idle(registry, channel_id)  # the first stock push of the 20 products
            sim.requests.clear()
            run = bc.server_import(registry, server, channel_id, args.orders)
            memory = bc.server_memory_mb(server)
            replayed = server.concurrency_errors()
            errors = server.errors()
        finally:
            server.stop()
            server.cleanup()
        with bc.odoo_env(registry) as env:
            paid = env["sale.order"].search_count(
                [("omni_channel_id", "=", channel_id), ("omni_collected_source", "=", "channel")])
        list_requests = len([r for r in sim.requests if r["path"] == "/api/v1/orders/list"])
        status_requests = len([r for r in sim.requests
                               if r["path"] == "/api/v1/orders/set_status"])
    return {
        "seconds": run["orders_seconds"], "orders": args.orders, "settled": run["settled"],
        "all_jobs_done_seconds": run["all_jobs_seconds"],
        "cpu_until_settled": run["cpu_until_settled"],
        "external_states": run["external_states"],
        "confirmed_sale_orders": run["confirmed_sale_orders"], "paid_registered": paid,
        "customers": run["customers"], "order_list_requests": list_requests,
        "status_requests": status_requests, "jobs_by_kind": run["jobs_by_kind"],
        "jobs_left": run["jobs_left"], "server_memory_mb": memory,
        "server_transactions_replayed": replayed, "server_errors": errors[:10],
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
        imported = bench_import(registry, db, args, rng)
        bc.log(f"import: {imported['orders']} orders in {imported['seconds']:.1f}s")
        catalogue = None
        if not args.skip_catalogue:
            catalogue = bench_catalogue(registry, args)
            bc.log(f"catalogue: {catalogue['requests']} requests in "
                   f"{catalogue['seconds']:.1f}s")
        registry = None
    seconds = imported["seconds"]
    rate = imported["settled"] / seconds if seconds else None
    expected = math.ceil(args.bindings / args.batch_limit)
    figures = {
        "orders_per_second": bc.figure(
            bc.rounded(rate, 1), f">= {args.target_orders_per_second}",
            rate is not None and rate >= args.target_orders_per_second, unit="orders/s"),
        "import_peak_memory_mb": bc.figure(
            imported["server_memory_mb"]["largest_process"], "reported", True, unit="MB",
            server=imported["server_memory_mb"]),
    }
    if catalogue is not None:
        figures.update({
            "catalogue_requests": bc.figure(
                catalogue["requests"], f"= ceil({args.bindings} / {args.batch_limit}) = "
                f"{expected}", catalogue["requests"] == expected),
            "catalogue_push_seconds": bc.figure(
                bc.rounded(catalogue["seconds"]), "reported", True, unit="s"),
        })
    result = {
        "figures": figures,
        "order_import": {k: (bc.rounded(v) if isinstance(v, float) else v)
                         for k, v in imported.items()},
        "catalogue_push": catalogue and {
            k: (bc.rounded(v) if isinstance(v, float) else v) for k, v in catalogue.items()},
        "config": {"orders": args.orders, "products": args.products,
                   "bindings": args.bindings, "batch_limit": args.batch_limit,
                   "seed": args.seed, "queue_job_channels": args.channels_config,
                   "workers": args.workers, "order_poll_interval": args.poll_interval,
                   "status_push": not args.mapping_only,
                   "stock_push_during_import": not args.mapping_only},
        "load_average": bc.load_average(),
    }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
