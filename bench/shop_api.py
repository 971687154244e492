#!/usr/bin/env python3
"""Own shop: YML feed of 20,000 offers, offer listing through the API, order posts.

* feed: seconds to build the feed of ``--offers`` offers (``omni.shop.feed._omni_build``
  in this process), its bytes, and the seconds of an unchanged re-request
  (conditional GET with ``If-None-Match``, answered 304) through a real server;
* listing: every offer through ``GET /omni/shop/<channel>/offers`` page by page
  (``--per-page``), requests per second, by a real prefork server (2 workers);
* orders: ``--orders`` orders posted one after the other (``--clients`` at
  once), orders per second until each is a confirmed sale order (the API maps
  and confirms in the request), and how many are.

The catalogue is cloned in SQL from one prototype (as ``planning_cost``).
Prints one JSON object on stdout.
"""

import json
import statistics
import sys
import threading
import time

import _common as bc
import requests
from planning_cost import clone

NAME = "shop_api"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--offers", type=int, default=20_000)
    parser.add_argument("--per-page", type=int, default=500)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20, help="unchanged feed re-requests")
    return parser.parse_args(argv)


def build(env, n):
    cr = env.cr
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    pricelist = env["product.pricelist"].create({"name": "Shop bench"})
    channel = env["omni.channel"].create({
        "name": "Shop bench", "channel_type": "shop", "warehouse_ids": [(6, 0, warehouse.ids)],
        "pricelist_id": pricelist.id, "order_poll_interval": 0,
    })
    proto = env["product.product"].create({
        "name": "Чайник 0", "default_code": "SHOP-000000", "is_storable": True,
        "list_price": 640.0, "barcode": "4820000000000",
        "description_sale": "Жароміцне скло, 1 л", "taxes_id": [(6, 0, [])],
    })
    env["stock.quant"]._update_available_quantity(proto, warehouse.lot_stock_id, 10**6)
    binding = env["omni.product.binding"].create(
        {"channel_id": channel.id, "product_id": proto.id})
    env.flush_all()
    cr.execute("SELECT id FROM stock_quant WHERE product_id = %s", [proto.id])
    quant_id = cr.fetchone()[0]
    cr.execute(
        """
        CREATE TEMP TABLE bench_map ON COMMIT DROP AS
        SELECT g, 'SHOP-' || lpad(g::text, 6, '0') AS code,
               nextval('product_template_id_seq') AS tmpl_id,
               nextval('product_product_id_seq') AS product_id
          FROM generate_series(1, %s) g
        """, [n - 1])
    clone(cr, "product_template", proto.product_tmpl_id.id, {
        "id": "m.tmpl_id", "default_code": "m.code",
        "name": "jsonb_build_object('en_US', 'Чайник ' || m.g)",
        "list_price": "(100 + mod(m.g, 900))::numeric",
    })
    clone(cr, "product_product", proto.id, {
        "id": "m.product_id", "product_tmpl_id": "m.tmpl_id", "default_code": "m.code",
        "barcode": "'482' || lpad(m.g::text, 10, '0')",
    })
    clone(cr, "stock_quant", quant_id, {
        "product_id": "m.product_id", "product_tmpl_id": "m.tmpl_id",
        "quantity": "(mod(m.g, 40))::numeric",
    })
    clone(cr, "omni_product_binding", binding.id, {"product_id": "m.product_id", "sku": "m.code"})
    cr.execute("DELETE FROM omni_binding_change WHERE channel_id = %s", [channel.id])
    cr.execute("DELETE FROM queue_job WHERE identity_key LIKE %s", [f"omni:{channel.id}:%"])
    env.invalidate_all()
    feed = env["omni.shop.feed"].create({"channel_id": channel.id})
    _key, api_key = env["omni.shop.key"]._omni_generate(channel, "bench")
    return channel.id, feed.id, api_key


def order(i):
    return {"id": f"B-{i}", "status": "new",
            "customer": {"name": f"Покупець {i}", "phone": f"+38067{1000000 + i}"},
            "payment": {"method": "cod"},
            "lines": [{"sku": f"SHOP-{(i * 7) % 1000:06d}", "quantity": 1, "price": "150.00"}]}


def main(argv=None):  # noqa: C901 - one linear scenario
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    result = {}
    with bc.bench_database(args, NAME) as db:
        registry = bc.odoo_registry(db)
        with bc.odoo_env(registry) as env:
            bc.log(f"building {args.offers} offers")
            channel_id, feed_id, api_key = build(env, args.offers)
        with bc.odoo_env(registry) as env:
            feed = env["omni.shop.feed"].browse(feed_id)
            start = time.perf_counter()
            feed._omni_build()
            build_seconds = time.perf_counter() - start
            start = time.perf_counter()
            feed._omni_build()  # nothing changed: built, compared, not written
            rebuild_unchanged = time.perf_counter() - start
            size, count, path = feed.size_bytes, feed.offer_count, feed._omni_path()
        bc.close_registry(db)
        server = bc.OdooServer(db)
        try:
            server.start()
            server.wait_ready()
            base = f"http://127.0.0.1:{server.port}"
            http = requests.Session()
            first = http.get(base + path, timeout=120)
            first.raise_for_status()
            etag = first.headers["ETag"]
            times = []
            for _i in range(args.repeat):
                start = time.perf_counter()
                resp = http.get(base + path, headers={"If-None-Match": etag}, timeout=30)
                times.append(time.perf_counter() - start)
                assert resp.status_code == 304, resp.status_code
            start = time.perf_counter()
            http.get(base + path, timeout=120).raise_for_status()
            full_get = time.perf_counter() - start
            # listing
            headers = {"X-Api-Key": api_key}
            listed, pages, page = 0, 0, 1
            start = time.perf_counter()
            while page:
                resp = http.get(f"{base}/omni/shop/{channel_id}/offers", headers=headers,
                                params={"page": page, "per_page": args.per_page}, timeout=60)
                resp.raise_for_status()
                data = resp.json()
                listed += len(data["offers"])
                pages += 1
                page = data["next_page"]
            listing = time.perf_counter() - start
            # orders
            statuses, lock = [], threading.Lock()

            def post(indexes):
                session = requests.Session()
                for i in indexes:
                    resp = session.post(f"{base}/omni/shop/{channel_id}/orders",
                                        data=json.dumps(order(i)), timeout=60,
                                        headers={**headers, "Content-Type": "application/json"})
                    with lock:
                        statuses.append((resp.status_code, resp.json().get("sale_state")))

            threads = [threading.Thread(target=post, args=(range(c, args.orders, args.clients),))
                       for c in range(args.clients)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            orders_seconds = time.perf_counter() - start
            confirmed = sum(1 for status, state in statuses if status == 201 and state == "sale")
            server_errors = server.errors()
        finally:
            server.stop()
            server.cleanup()
        result = {
            "figures": {
                "feed_build_seconds": bc.figure(bc.rounded(build_seconds), 10.0,
                                                build_seconds < 10.0, "s"),
                "feed_bytes": bc.figure(size, None, True, "bytes"),
                "feed_unchanged_request_seconds": bc.figure(
                    bc.rounded(statistics.median(times), 4), 0.05,
                    statistics.median(times) < 0.05, "s"),
                "offer_listing_requests_per_second": bc.figure(
                    bc.rounded(pages / listing, 1), 10, pages / listing >= 10, "req/s"),
                "orders_per_second": bc.figure(
                    bc.rounded(confirmed / orders_seconds, 1), 10,
                    confirmed / orders_seconds >= 10, "orders/s"),
            },
            "feed": {"offers": count, "build_seconds": bc.rounded(build_seconds),
                     "unchanged_rebuild_seconds": bc.rounded(rebuild_unchanged),
                     "full_get_seconds": bc.rounded(full_get),
                     "unchanged_request_p95": bc.rounded(bc.percentile(times, 95), 4)},
            "listing": {"offers": listed, "pages": pages, "per_page": args.per_page,
                        "seconds": bc.rounded(listing),
                        "offers_per_second": bc.rounded(listed / listing, 1)},
            "orders": {"posted": args.orders, "clients": args.clients,
                       "confirmed_sale_orders": confirmed, "seconds": bc.rounded(orders_seconds),
                       "statuses": sorted({str(s) for s, _ in statuses})},
            "server_errors": server_errors[:10],
            "load_average": bc.load_average(),
        }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
