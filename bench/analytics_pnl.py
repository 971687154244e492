#!/usr/bin/env python3
"""Analytics: channel P&L for a year by channel and month, one product drill-down, RFM refresh.

Generates, with SQL (``INSERT .. SELECT generate_series``, every column copied
from a prototype row made through the ORM, so no column list is hard-coded):
30,000 customers, 200 products in 10 categories, 100,000 confirmed orders of
3 lines each (300,000 lines) over the last year on 3 channels, with their
stored profit figures (delivered revenue, returns, cost of goods, commission,
delivery, cash-on-delivery and acquiring shares) as the addon stores them.

Then times, each ``--repeat`` times (the median is the figure):

* the channel P&L of the year grouped by channel and month (``read_group`` on
  ``omni.pnl.report``, every money measure and the margin %);
* one product's drill-down: its P&L by month and its order lines (first 80);
* the scores refresh (RFM, lifetime value, first channel, ABC).

Targets: P&L < 2 s, RFM refresh < 10 s. Prints one JSON object on stdout.
"""

import statistics
import sys
import time

import _common as bc

NAME = "analytics_pnl"
MEASURES = ["revenue:sum", "returns:sum", "net_revenue:sum", "cogs:sum", "commission:sum",
            "delivery_cost:sum", "cod_fee:sum", "acquiring_fee:sum", "margin:sum",
            "margin_percent:avg"]


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--orders", type=int, default=100_000, help="orders (100000)")
    parser.add_argument("--lines", type=int, default=3, help="lines per order (3)")
    parser.add_argument("--customers", type=int, default=30_000, help="customers (30000)")
    parser.add_argument("--products", type=int, default=200, help="products (200)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (3)")
    parser.add_argument("--reuse", action="store_true",
                        help="time the data a previous run left in --db (with --keep-db)")
    parser.add_argument("--pnl-target", type=float, default=2.0)
    parser.add_argument("--rfm-target", type=float, default=10.0)
    return parser.parse_args(argv)


def timed(func, *a, **kw):
    start = time.perf_counter()
    value = func(*a, **kw)
    return time.perf_counter() - start, value


def columns(cr, table):
    cr.execute("""
        SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = %s
         ORDER BY ordinal_position""", [table])
    return [row[0] for row in cr.fetchall()]


def clone(cr, table, proto_id, source, overrides):
    """INSERT one copy of row ``proto_id`` per row of the ``source`` query (alias ``s``)."""
    cols = [c for c in columns(cr, table) if c != "id"]
    names = ", ".join(f'"{c}"' for c in cols)
    exprs = ", ".join(overrides.get(c, f'p."{c}"') for c in cols)
    cr.execute(f'INSERT INTO "{table}" ({names}) SELECT {exprs} '
               f'FROM "{table}" p CROSS JOIN ({source}) s WHERE p.id = %s', [proto_id])
    return cr.rowcount


def build(env, args):
    """Channels, products, customers, orders and lines; returns (channel ids, product id)."""
    cr = env.cr
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    channels = env["omni.channel"].create([
        {"name": name, "channel_type": "generic", "warehouse_ids": [(6, 0, warehouse.ids)],
         "sync_stock": False, "sync_price": False, "sync_orders": False}
        for name in ("Rozetka (bench)", "Prom (bench)", "Shop (bench)")])
    categs = env["product.category"].create([{"name": f"Bench {i}"} for i in range(10)])
    products = env["product.product"].create([
        {"name": f"Bench product {i}", "default_code": f"AN-{i:05d}", "is_storable": True,
         "list_price": 50 + (i * 37) % 950, "standard_price": (50 + (i * 37) % 950) * 0.6,
         "categ_id": categs[i % 10].id, "taxes_id": [(6, 0, [])]}
        for i in range(args.products)])
    proto_partner = env["res.partner"].create({"name": "Bench customer 0"})
    proto = env["sale.order"].create({
        "partner_id": proto_partner.id, "omni_channel_id": channels[0].id,
        "order_line": [(0, 0, {"product_id": products[0].id, "product_uom_qty": 1,
                               "price_unit": 100})]})
    proto.action_confirm()
    env.flush_all()
    cr.execute("CREATE TEMP TABLE bench_ids (kind text, n int, id int)")
    # customers
    bc.log("customers...")
    clone(cr, "res_partner", proto_partner.id,
          f"SELECT generate_series(1, {args.customers}) AS n",
          {"name": "'Bench customer ' || s.n", "complete_name": "'Bench customer ' || s.n",
           "commercial_partner_id": "NULL"})
    cr.execute("UPDATE res_partner SET commercial_partner_id = id "
               "WHERE commercial_partner_id IS NULL")
    cr.execute("SELECT array_agg(id ORDER BY id) FROM res_partner "
               "WHERE name LIKE 'Bench customer %'")
    partner_ids = cr.fetchone()[0]
    cr.execute("CREATE TEMP TABLE bench_partner AS SELECT ord - 1 AS k, id FROM "
               "unnest(%s::int[]) WITH ORDINALITY AS u(id, ord)", [partner_ids])
    cr.execute("CREATE TEMP TABLE bench_product AS SELECT ord - 1 AS k, u.id, pt.list_price, "
               "pt.categ_id FROM unnest(%s::int[]) WITH ORDINALITY AS u(id, ord) "
               "JOIN product_product pp ON pp.id = u.id "
               "JOIN product_template pt ON pt.id = pp.product_tmpl_id", [products.ids])
    cr.execute("CREATE TEMP TABLE bench_channel AS SELECT ord - 1 AS k, id FROM "
               "unnest(%s::int[]) WITH ORDINALITY AS u(id, ord)", [channels.ids])
    # orders: customer by a skewed spread, channel n % 3, dates over the last year
    bc.log("orders...")
    n_partners = len(partner_ids)
    cr.execute(f"""
        CREATE TEMP TABLE bench_order AS
        SELECT s.n,
               bp.id AS partner_id,
               bc.id AS channel_id,
               (now() AT TIME ZONE 'UTC') - make_interval(secs => (s.n * 7919 % 31536000))
                   AS date_order
          FROM generate_series(1, {args.orders}) s(n)
          JOIN bench_partner bp
            ON bp.k = (floor(power(((s.n * 2654435761) % 1000003) / 1000003.0, 2)
                       * {n_partners}))::int
          JOIN bench_channel bc ON bc.k = s.n % 3
    """)
    cr.execute("ANALYZE bench_order")
    clone(cr, "sale_order", proto.id, "SELECT * FROM bench_order",
          {"name": "'BENCH/' || s.n", "partner_id": "s.partner_id",
           "partner_invoice_id": "s.partner_id", "partner_shipping_id": "s.partner_id",
           "omni_channel_id": "s.channel_id", "date_order": "s.date_order",
           "create_date": "s.date_order", "write_date": "s.date_order",
           "client_order_ref": "'BENCH/' || s.n", "origin": "NULL"})
    cr.execute("""
        CREATE TEMP TABLE bench_sale AS
        SELECT o.id, (substr(o.name, 7))::int AS n FROM sale_order o WHERE o.name LIKE 'BENCH/%'
    """)
    cr.execute("ANALYZE bench_sale")
    # lines: product by order and position, 1-3 units; one line in 20 has a unit returned
    bc.log("lines...")
    n_products = args.products
    cr.execute(f"""
        CREATE TEMP TABLE bench_line0 AS
        SELECT o.id AS order_id, p.id AS product_id, l.i, bo.partner_id, bo.date_order,
               bo.channel_id,
               1 + (o.n + l.i) % 3 AS qty, p.list_price AS price,
               round((p.list_price * (1 + (o.n + l.i) % 3))::numeric, 2) AS subtotal,
               CASE WHEN (o.n * 31 + l.i) % 20 = 0 THEN 1 ELSE 0 END AS returned
          FROM bench_sale o
          JOIN bench_order bo ON bo.n = o.n
          CROSS JOIN generate_series(1, {args.lines}) l(i)
          JOIN bench_product p ON p.k = (o.n * 13 + l.i * 101) % {n_products}
    """)
    cr.execute("""
        CREATE TEMP TABLE bench_line AS
        SELECT c.*, c.subtotal - c.returns - c.cogs - c.commission - c.delivery - c.cod
                    - c.acquiring AS margin
          FROM (SELECT b.*, round((b.price * b.returned)::numeric, 2) AS returns,
                       round((b.price * 0.6 * (b.qty - b.returned))::numeric, 2) AS cogs,
                       round((b.subtotal * 0.1)::numeric, 2) AS commission,
                       CASE WHEN b.i = 1 THEN 70 ELSE 0 END AS delivery,
                       CASE WHEN b.i = 1 THEN round((b.subtotal * 0.02 + 20)::numeric, 2)
                            ELSE 0 END AS cod,
                       round((b.subtotal * 0.015)::numeric, 2) AS acquiring
                  FROM bench_line0 b) c
    """)
    proto_line = proto.order_line[:1].id
    clone(cr, "sale_order_line", proto_line, "SELECT * FROM bench_line", {
        "order_id": "s.order_id", "product_id": "s.product_id", "state": "'sale'",
        "order_partner_id": "s.partner_id", "omni_date": "s.date_order",
        "omni_channel_id": "s.channel_id",
        "product_uom_qty": "s.qty", "qty_delivered": "s.qty - s.returned",
        "price_unit": "s.price", "price_subtotal": "s.subtotal", "price_total": "s.subtotal",
        "price_reduce_taxexcl": "s.price", "price_reduce_taxinc": "s.price",
        "sequence": "s.i",
        "omni_qty_out": "s.qty", "omni_qty_returned": "s.returned",
        "omni_revenue": "s.subtotal", "omni_returns": "s.returns", "omni_cogs": "s.cogs",
        "omni_commission": "s.commission", "omni_delivery_share": "s.delivery",
        "omni_cod_share": "s.cod", "omni_acquiring_share": "s.acquiring",
        "omni_margin": "s.margin",
    })
    # the orders' totals and costs, as their lines say
    cr.execute("ANALYZE bench_line")
    cr.execute("""
        UPDATE sale_order o
           SET amount_untaxed = t.total, amount_total = t.total, amount_tax = 0,
               omni_commission = t.commission, omni_commission_source = 'rules',
               omni_delivery_cost = t.delivery, omni_cod_fee = t.cod,
               omni_acquiring_fee = t.acquiring
          FROM (SELECT order_id, SUM(subtotal) AS total, SUM(commission) AS commission,
                       SUM(delivery) AS delivery, SUM(cod) AS cod, SUM(acquiring) AS acquiring
                  FROM bench_line GROUP BY order_id) t
         WHERE o.id = t.order_id
    """)
    cr.execute("SELECT count(*) FROM sale_order_line WHERE order_id IN "
               "(SELECT id FROM bench_sale)")
    lines = cr.fetchone()[0]
    cr.execute("SELECT count(DISTINCT partner_id) FROM bench_order")
    customers = cr.fetchone()[0]
    return channels.ids, products[7].id, lines, customers


def reused(env):
    """The ids and counts of the data a previous run built."""
    cr = env.cr
    cr.execute("SELECT array_agg(id ORDER BY id) FROM omni_channel WHERE name LIKE '%(bench)'")
    channel_ids = cr.fetchone()[0]
    cr.execute("SELECT id FROM product_product WHERE default_code = 'AN-00007'")
    product_id = cr.fetchone()[0]
    cr.execute("SELECT count(*), count(DISTINCT o.partner_id) FROM sale_order_line l "
               "JOIN sale_order o ON o.id = l.order_id WHERE o.name LIKE 'BENCH/%'")
    lines, customers = cr.fetchone()
    return channel_ids, product_id, lines, customers


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    bc.ADDON = "omni_analytics"
    result = {}
    with bc.bench_database(args, NAME) as db:
        out = bc._pg("psql", "-d", db, "-Atc", "SELECT state FROM ir_module_module "
                     "WHERE name = 'omni_analytics'", check=False)
        if out.stdout.strip() != "installed":
            bc.log(f"installing omni_analytics in {db}")
            bc.install_addon(db)
        registry = bc.odoo_registry(db)
        ctx = {"tracking_disable": True, "mail_notrack": True}
        with bc.odoo_env(registry, ctx) as env:
            if args.reuse:
                build_s, (channel_ids, product_id, lines, customers) = 0.0, reused(env)
            else:
                build_s, (channel_ids, product_id, lines, customers) = timed(build, env, args)
        bc.log(f"{args.orders} orders, {lines} lines built in {build_s:.1f}s")
        with bc.odoo_env(registry) as env:
            env.cr.execute("ANALYZE sale_order, sale_order_line, res_partner, product_product,"
                           " product_template")
        # as autovacuum leaves a table that was just loaded
        bc._pg("psql", "-d", db, "-c", "VACUUM sale_order_line, sale_order, res_partner")
        from odoo import fields

        pnl, drill, rfm = [], [], []
        groups = rows = scored = 0
        for _i in range(args.repeat):
            with bc.odoo_env(registry) as env:
                Report = env["omni.pnl.report"]
                year_ago = fields.Datetime.subtract(fields.Datetime.now(), years=1)
                domain = [("date", ">=", year_ago), ("channel_id", "in", channel_ids)]
                seconds, data = timed(Report.read_group, domain, MEASURES,
                                      ["channel_id", "date:month"], lazy=False)
                pnl.append(seconds)
                groups = len(data)

                def drill_down(env=env, Report=Report):
                    by_month = Report.read_group(
                        [("product_id", "=", product_id)], MEASURES, ["date:month"])
                    found = Report.search_read([("product_id", "=", product_id)],
                                               ["order_id", "date", "net_revenue", "margin"],
                                               limit=80)
                    return len(by_month), len(found)
                seconds, (_months, rows) = timed(drill_down)
                drill.append(seconds)
            with bc.odoo_env(registry) as env:
                seconds, scored = timed(env["res.partner"]._omni_refresh_scores)
                rfm.append(seconds)
        pnl_s, drill_s, rfm_s = (statistics.median(v) for v in (pnl, drill, rfm))
        result = {
            "figures": {
                "pnl_year_by_channel_month_s": bc.figure(
                    bc.rounded(pnl_s), f"< {args.pnl_target} s", pnl_s < args.pnl_target,
                    "s", groups=groups),
                "product_drilldown_s": bc.figure(
                    bc.rounded(drill_s), f"< {args.pnl_target} s", drill_s < args.pnl_target,
                    "s", rows=rows),
                "rfm_refresh_s": bc.figure(
                    bc.rounded(rfm_s), f"< {args.rfm_target} s", rfm_s < args.rfm_target,
                    "s", customers=scored),
            },
            "runs": {"pnl_s": [bc.rounded(v) for v in pnl],
                     "drilldown_s": [bc.rounded(v) for v in drill],
                     "rfm_s": [bc.rounded(v) for v in rfm]},
            "data": {"orders": args.orders, "lines": lines, "customers_with_orders": customers,
                     "customers": args.customers, "products": args.products, "channels": 3,
                     "build_s": bc.rounded(build_s, 1)},
            "load_average": bc.load_average(),
        }
        bc.close_registry(db)
    return bc.emit(NAME, result)


if __name__ == "__main__":
    main()
