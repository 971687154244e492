#!/usr/bin/env python3
"""Planning cost: recompute and diff 50,000 dirty bindings of which 1% changed.

The worst case of a full recompute: every binding of a channel is dirty (a rule
or warehouse change, a sweep after an outage) but only 1% of the quantities
differ from what the channel was last sent. Measures, in this process and in
one cursor:

* ``_omni_plan_stock`` (dirty rows + available-to-sell + the pure planner);
* a whole ``_omni_push("stock", in_job=False)`` against a simulator, results
  written in the same cursor (``omni_same_cursor``), with the HTTP requests
  it sends (expected: ceil(changed / batch limit));
* the pure planner alone on the same number of ``DirtyItem``;
* a full price resync (VAT on top) with a pricelist without rules and with
  one with rules (``--pricelist``), the rules prices checked against Odoo's
  ``_get_product_price`` product by product on a sample, and Odoo's engine
  timed on every product for reference.

The catalogue is built fast: one prototype product, quant and binding through
the ORM, then cloned with ``INSERT .. SELECT`` (every column copied from the
prototype, so no column list is hard-coded). Prints one JSON object on stdout.
"""

import contextlib
import math
import random
import statistics
import sys
import time
from datetime import timedelta

import _common as bc

NAME = "planning_cost"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--bindings", type=int, default=50_000, help="bindings (50000)")
    parser.add_argument("--changed-percent", type=float, default=1.0,
                        help="share of products whose stock changes (1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed plan runs (3)")
    parser.add_argument("--pricelist", choices=("both", "plain", "rules"), default="both",
                        help="price resync with a pricelist without rules (plain), with "
                        "rules (rules: percentages per category, fixed prices per product, "
                        "formulas, date ranges, a rule based on another pricelist) or both "
                        "(default)")
    parser.add_argument("--check-sample", type=int, default=2000,
                        help="products whose rules price is compared with Odoo's "
                        "_get_product_price, one by one (2000)")
    parser.add_argument("--engine-sample", type=int, default=5000,
                        help="products priced by Odoo's engine at once, timed and compared "
                        "(5000; 0: all of them, about 0.15 ms to 9 ms a product: with "
                        "700 rules, 50,000 products took 452 s)")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--target-seconds", type=float, default=5.0)
    return parser.parse_args(argv)


def columns(cr, table):
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = %s
         ORDER BY ordinal_position
        """,
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def clone(cr, table, proto_id, overrides):
    """Insert one copy of row ``proto_id`` per row of ``bench_map``."""
    cols = [c for c in columns(cr, table) if c != "id" or "id" in overrides]
    names = ", ".join(f'"{c}"' for c in cols)
    exprs = ", ".join(overrides.get(c, f'p."{c}"') for c in cols)
    cr.execute(
        f'INSERT INTO "{table}" ({names}) SELECT {exprs} '
        f'FROM "{table}" p CROSS JOIN bench_map m WHERE p.id = %s',
        [proto_id],
    )
    return cr.rowcount


def build(env, args, sim, rng):
    """Products, quants, one channel and its bindings, all in sync; returns ids."""
    cr = env.cr
    n = args.bindings - 1  # the prototype is one of them
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    channel = env["omni.channel"].create({
        "name": "Planning bench", "channel_type": "generic", "api_url": sim.url,
        "api_key": sim.api_key, "warehouse_ids": [(6, 0, warehouse.ids)],
        "sync_price": False, "sync_orders": False,
    })
    proto = env["product.product"].create({
        "name": "Planning product 0", "default_code": "PLAN-000000", "is_storable": True,
    })
    env["stock.quant"]._update_available_quantity(proto, warehouse.lot_stock_id, 1.0)
    binding = env["omni.product.binding"].create(
        {"channel_id": channel.id, "product_id": proto.id})
    env.flush_all()
    cr.execute("SELECT id FROM stock_quant WHERE product_id = %s", [proto.id])
    quant_id = cr.fetchone()[0]
    cr.execute(
        """
        CREATE TEMP TABLE bench_map ON COMMIT DROP AS
        SELECT g, 'PLAN-' || lpad(g::text, 6, '0') AS code,
               nextval('product_template_id_seq') AS tmpl_id,
               nextval('product_product_id_seq') AS product_id
          FROM generate_series(1, %s) g
        """,
        [n],
    )
    code = "m.code"
    clone(cr, "product_template", proto.product_tmpl_id.id, {
        "id": "m.tmpl_id",
        "name": "jsonb_build_object('en_US', 'Planning product ' || m.g)",
        "default_code": code,
    })
    clone(cr, "product_product", proto.id, {
        "id": "m.product_id", "product_tmpl_id": "m.tmpl_id", "default_code": code,
    })
    clone(cr, "stock_quant", quant_id, {
        "product_id": "m.product_id", "product_tmpl_id": "m.tmpl_id",
        "quantity": "(1 + mod(m.g, 40))::numeric",
    })
    clone(cr, "omni_product_binding", binding.id, {
        "product_id": "m.product_id", "sku": code,
    })
    # what the channel shows: every quantity was pushed already
    cr.execute(
        """
        UPDATE omni_product_binding b
           SET last_qty = q.qty, last_stock_date = now() AT TIME ZONE 'UTC',
               sync_state = 'ok'
          FROM (SELECT product_id, SUM(quantity)::int AS qty FROM stock_quant
                 GROUP BY product_id) q
         WHERE b.product_id = q.product_id AND b.channel_id = %s
        """,
        [channel.id],
    )
    cr.execute("DELETE FROM omni_binding_change WHERE channel_id = %s", [channel.id])
    cr.execute(
        """
        SELECT b.sku, b.last_qty, b.product_id FROM omni_product_binding b
         WHERE b.channel_id = %s ORDER BY b.id
        """,
        [channel.id],
    )
    rows = cr.fetchall()
    for sku, qty, _pid in rows:
        sim.add_offer(sku, quantity=qty, price="1.00")
    count = max(1, round(len(rows) * args.changed_percent / 100.0))
    changed = sorted(rng.sample([pid for _s, _q, pid in rows], count))
    env.invalidate_all()
    return channel.id, changed, len(rows)


def timed(func, *a, **kw):
    start = time.perf_counter()
    value = func(*a, **kw)
    return time.perf_counter() - start, value


@contextlib.contextmanager
def instrumented(classes_and_names, sink):
    """Add the time spent in these model methods to ``sink`` (name -> seconds)."""
    saved = []
    for cls, name in classes_and_names:
        original = cls.__dict__.get(name)
        inherited = getattr(cls, name)

        def wrapper(self, *a, _name=name, _super=inherited, **kw):
            start = time.perf_counter()
            try:
                return _super(self, *a, **kw)
            finally:
                sink[_name] = sink.get(_name, 0.0) + time.perf_counter() - start

        saved.append((cls, name, original))
        setattr(cls, name, wrapper)
    try:
        yield sink
    finally:
        for cls, name, original in saved:
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)


def pricelist_with_rules(env, channel_id):
    """The channel's pricelist with rules as a shop has them; returns it, the
    products with a fixed price of their own, and a description of the rules.

    Six categories in a tree (products spread over them), a global formula
    (5% off, rounded to 1, minus 0.01), 10% off a category, a formula with
    rounding and a minimum quantity of 1 on its child, 20% off another
    category for a date range that includes today, an expired fixed price,
    a wholesale pricelist (15% off) that a category's rule adds 8% to, and
    fixed prices for 500 products (variant rules) and 10% off 200 products
    (template rules).
    """
    from odoo import fields

    cr = env.cr
    Category = env["product.category"]
    root = Category.create({"name": "Bench root"})
    kitchen = Category.create({"name": "Kitchen", "parent_id": root.id})
    kettles = Category.create({"name": "Kettles", "parent_id": kitchen.id})
    garden = Category.create({"name": "Garden", "parent_id": root.id})
    tools = Category.create({"name": "Tools", "parent_id": root.id})
    other = Category.create({"name": "Other"})
    cats = [root, kitchen, kettles, garden, tools, other]
    env.flush_all()
    cr.execute(
        """
        UPDATE product_template t SET categ_id = (%s::int[])[1 + mod(t.id, 6)]
          FROM product_product p JOIN omni_product_binding b ON b.product_id = p.id
         WHERE p.product_tmpl_id = t.id AND b.channel_id = %s
        """, [[c.id for c in cats], channel_id])
    cr.execute(
        """
        SELECT p.id, p.product_tmpl_id FROM omni_product_binding b
          JOIN product_product p ON p.id = b.product_id
         WHERE b.channel_id = %s ORDER BY p.id
        """, [channel_id])
    rows = cr.fetchall()
    env.invalidate_all()
    fixed = [pid for pid, _tmpl in rows[::100][:500]]
    templates = [tmpl for _pid, tmpl in rows[50::100][:200]]
    now = fields.Datetime.now()
    day = timedelta(days=1)
    wholesale = env["product.pricelist"].create({
        "name": "Bench wholesale",
        "item_ids": [(0, 0, {"applied_on": "3_global", "compute_price": "percentage",
                             "percent_price": 15})]})
    pricelist = env["product.pricelist"].create({"name": "Bench channel prices (rules)"})
    Item = env["product.pricelist.item"]
    rules = [
        {"applied_on": "3_global", "compute_price": "formula", "price_discount": 5,
         "price_round": 1.0, "price_surcharge": -0.01},
        {"applied_on": "2_product_category", "categ_id": kitchen.id,
         "compute_price": "percentage", "percent_price": 10},
        {"applied_on": "2_product_category", "categ_id": kettles.id,
         "compute_price": "formula", "price_discount": 7.5, "price_round": 0.1,
         "min_quantity": 1},
        {"applied_on": "2_product_category", "categ_id": garden.id,
         "compute_price": "percentage", "percent_price": 20,
         "date_start": now - day, "date_end": now + day},
        {"applied_on": "2_product_category", "categ_id": garden.id,
         "compute_price": "fixed", "fixed_price": 1.0,
         "date_end": now - day},
        {"applied_on": "2_product_category", "categ_id": tools.id, "compute_price": "formula",
         "base": "pricelist", "base_pricelist_id": wholesale.id, "price_discount": -8,
         "price_round": 0.01},
    ]
    rules += [{"applied_on": "0_product_variant", "product_id": pid, "compute_price": "fixed",
               "fixed_price": 99.0 + i % 50} for i, pid in enumerate(fixed)]
    rules += [{"applied_on": "1_product", "product_tmpl_id": tmpl,
               "compute_price": "percentage", "percent_price": 10} for tmpl in templates]
    Item.create([dict(rule, pricelist_id=pricelist.id) for rule in rules])
    described = {
        "rules": len(rules) + 1, "categories": len(cats),
        "fixed_price_products": len(fixed), "template_rules": len(templates),
        "kinds": "global formula; category percentage; category formula with min quantity; "
        "date-limited category percentage; expired category fixed price; category formula "
        "based on another pricelist (itself a rule); 500 variant fixed prices; 200 template "
        "percentages",
    }
    return pricelist, set(fixed), described


def price_resync(env, channel_id, args, sim, rng, rules=False):
    """A full price resync of every binding where 1% of the prices changed.

    Every product has VAT 20% on top of its price (the Ukrainian chart), so
    each price goes through the taxes; list prices take 500 values. With
    ``rules``, the channel's pricelist has rules (``pricelist_with_rules``);
    the 1% changed are then taken among products without a fixed price.
    """
    cr = env.cr
    channel = env["omni.channel"].browse(channel_id)
    Binding = env["omni.product.binding"]
    tax = env["account.tax"].create({
        "name": "VAT 20% (bench)", "amount": 20, "type_tax_use": "sale",
        "price_include_override": "tax_excluded",
    })
    cr.execute(
        """
        UPDATE product_template t SET list_price = 100 + mod(t.id, 500) + 0.99
          FROM product_product p JOIN omni_product_binding b ON b.product_id = p.id
         WHERE p.product_tmpl_id = t.id AND b.channel_id = %s
        """, [channel_id])
    cr.execute(
        """
        INSERT INTO product_taxes_rel (prod_id, tax_id)
        SELECT p.product_tmpl_id, %s FROM product_product p
          JOIN omni_product_binding b ON b.product_id = p.id WHERE b.channel_id = %s
        """, [tax.id, channel_id])
    env.invalidate_all()
    fixed, described = set(), None
    if rules:
        pricelist, fixed, described = pricelist_with_rules(env, channel_id)
    else:
        pricelist = env["product.pricelist"].create({"name": "Bench channel prices"})
    channel.write({"sync_price": True, "pricelist_id": pricelist.id})
    # the first push sends every price: afterwards the channel shows them all
    first_s, first_message = timed(channel._omni_push, "price", in_job=False)
    cr.execute("SELECT product_id FROM omni_product_binding WHERE channel_id = %s",
               [channel_id])
    product_ids = [row[0] for row in cr.fetchall()]
    count = max(1, round(len(product_ids) * args.changed_percent / 100.0))
    changed = sorted(rng.sample([pid for pid in product_ids if pid not in fixed], count))
    cr.execute(
        """
        UPDATE product_template t SET list_price = t.list_price + 7
          FROM product_product p WHERE p.product_tmpl_id = t.id AND p.id = ANY(%s)
        """, [changed])
    env.invalidate_all()
    # every price recomputed (a pricelist or tax change, a sweep after an outage)
    Binding._omni_all_of_channels(channel, ("price",))
    digits = None
    plan_times, plan = [], None
    parts = {}
    for _i in range(args.repeat):
        env.invalidate_all()
        # not Odoo's engine's own methods: a wrapper there counts as a module
        # overriding the engine, and the prices would come from Odoo's engine
        with instrumented([
            (type(env["product.pricelist"]), "_omni_prices"),
            (type(env["product.pricelist"]), "_omni_product_facts"),
            (type(env["product.pricelist"]), "_omni_valid_rules"),
            (type(env["product.pricelist"]), "_omni_choose_rules"),
            (type(channel), "_omni_gross_prices"),
            (type(channel), "_omni_dirty_rows"),
        ], parts):
            seconds, plan = timed(channel._omni_plan_prices, 100, digits)
        plan_times.append(seconds)
    sim.requests.clear()
    env.invalidate_all()
    push_s, message = timed(channel._omni_push, "price", in_job=False)
    requests = sum(1 for r in sim.requests if r["path"] == "/api/prices")
    expected = math.ceil(len(changed) / 100)
    median = statistics.median(plan_times)
    check = check_against_odoo(env, pricelist, product_ids, args, rng) if rules else None
    return {
        "rules": described,
        "check_against_odoo": check,
        "figures": {
            "price_plan_seconds": bc.figure(bc.rounded(median), f"< {args.target_seconds}",
                                            median < args.target_seconds, unit="s"),
            "price_resync_seconds": bc.figure(bc.rounded(push_s), f"< {args.target_seconds}",
                                              push_s < args.target_seconds, unit="s"),
            "price_requests_sent": bc.figure(
                requests, f"= ceil(changed / 100) = {expected}", requests == expected),
            "price_changed_found": bc.figure(plan.changed, f"= {len(changed)}",
                                             plan.changed == len(changed)),
        },
        "plan_seconds_runs": [bc.rounded(s) for s in plan_times],
        "plan_seconds_by_step_total": {k: bc.rounded(v) for k, v in parts.items()},
        "resync_result": message,
        "first_push": {"seconds": bc.rounded(first_s), "result": first_message},
        "changed_products": len(changed),
    }


def check_against_odoo(env, pricelist, product_ids, args, rng):
    """The bulk prices against Odoo's ``_get_product_price``, product by product, on a
    sample; and Odoo's engine on every product at once, timed, for reference."""
    products = env["product.product"].browse(product_ids)
    env.invalidate_all()
    bulk_s, bulk = timed(pricelist._omni_prices, products)
    engine_ids = (sorted(rng.sample(product_ids, args.engine_sample))
                  if 0 < args.engine_sample < len(product_ids) else product_ids)
    env.invalidate_all()
    odoo_s, odoo = timed(pricelist._get_products_price,
                         env["product.product"].browse(engine_ids), 1.0)
    sample = rng.sample(product_ids, min(args.check_sample, len(product_ids)))
    currency = pricelist.currency_id
    one_by_one = {pid: pricelist._get_product_price(env["product.product"].browse(pid), 1.0)
                  for pid in sample}
    differ = [pid for pid in sample if bulk[pid] != one_by_one[pid]]
    kopeck = [pid for pid in sample
              if currency.round(bulk[pid]) != currency.round(one_by_one[pid])]
    return {
        "bulk_seconds": bc.rounded(bulk_s),
        "odoo_engine_products": len(engine_ids),
        "odoo_engine_seconds": bc.rounded(odoo_s),
        "odoo_engine_ms_per_product": bc.rounded(1000 * odoo_s / len(engine_ids)),
        "equal_odoo_engine": sum(1 for pid in engine_ids if bulk[pid] == odoo[pid]),
        "sample_one_by_one": len(sample),
        "sample_differ": len(differ),
        "sample_differ_to_the_kopeck": len(kopeck),
        "distinct_prices": len(set(bulk.values())),
    }


def pure_planner(n, changed, repeat, rng):
    from omni_connectors.core.planner import DirtyItem, QtyRules, plan_stock

    changed_idx = set(rng.sample(range(n), changed))
    items = [
        DirtyItem(i, f"PLAN-{i:06d}", 1, 10, 11.0 if i in changed_idx else 10.0)
        for i in range(n)
    ]
    times, plan = [], None
    for _i in range(max(repeat, 3)):
        seconds, plan = timed(plan_stock, items, 100, QtyRules())
        times.append(seconds)
    return {"seconds_median": bc.rounded(statistics.median(times), 4),
            "seconds_min": bc.rounded(min(times), 4),
            "changed": plan.changed, "requests": plan.requests, "items": n}


def main(argv=None):  # noqa: C901 - one linear scenario
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    rng = random.Random(args.seed)
    sim = bc.timed_simulator_class()(api_key="bench-plan-key-x9", shop="Planning").start()
    t0 = time.monotonic()
    result = {}
    try:
        with bc.bench_database(args, NAME) as db:
            registry = bc.odoo_registry(db)
            ctx = {"tracking_disable": True, "omni_same_cursor": True}
            with bc.odoo_env(registry, ctx) as env:
                build_s, (channel_id, changed, total) = timed(build, env, args, sim, rng)
            bc.log(f"{total} bindings built in {build_s:.1f}s")
            with bc.odoo_env(registry) as env:
                env.cr.execute("ANALYZE product_template, product_product, stock_quant, "
                               "omni_product_binding, stock_move, stock_location")
            with bc.odoo_env(registry, ctx) as env:
                channel = env["omni.channel"].browse(channel_id)
                Binding = env["omni.product.binding"]
                # in sync, every binding dirty: nothing to send
                Binding._omni_all_of_channels(channel, ("stock",))
                idle_s, idle_plan = timed(channel._omni_plan_stock, 100)
                # 1% of the stock moves, then a full recompute is asked for
                env.cr.execute(
                    "UPDATE stock_quant SET quantity = quantity + 1 WHERE product_id = ANY(%s)",
                    [changed])
                mark_s, _none = timed(Binding._omni_all_of_channels, channel, ("stock",))
                env.cr.execute(
                    "SELECT count(DISTINCT product_id) FROM omni_binding_change "
                    "WHERE channel_id = %s AND kind = 'stock'", [channel_id])
                dirty = env.cr.fetchone()[0]
                rows_s, rows = timed(channel._omni_dirty_rows, "stock")
                avail_s, _avail = timed(channel._omni_available_to_sell,
                                        [row[1] for row in rows])
                plan_times, plan = [], None
                for _i in range(args.repeat):
                    seconds, plan = timed(channel._omni_plan_stock, 100)
                    plan_times.append(seconds)
                sim.requests.clear()
                applied_before = len(sim.applied)
                parts = {}
                with instrumented([
                    (type(channel), "_omni_plan_stock"),
                    (type(Binding), "_omni_record_unchanged"),
                    (type(Binding), "_omni_record_pushed"),
                    (type(env["omni.sync.event"]), "_omni_log_calls"),
                    (type(channel), "_omni_note_success"),
                ], parts):
                    push_s, message = timed(channel._omni_push, "stock", in_job=False)
                requests = sim.stock_requests()
                env.cr.execute(
                    """
                    SELECT (SELECT count(DISTINCT product_id) FROM omni_binding_change
                             WHERE channel_id = %s AND kind = 'stock'),
                           count(*) FILTER (WHERE sync_state = 'error')
                      FROM omni_product_binding WHERE channel_id = %s
                    """, [channel_id, channel_id])
                still_dirty, errors = env.cr.fetchone()
                applied = len(sim.applied) - applied_before
                env.cr.rollback()  # the bench database is thrown away anyway
            prices = prices_rules = None
            if args.pricelist in ("both", "plain"):
                with bc.odoo_env(registry, ctx) as env:
                    prices = price_resync(env, channel_id, args, sim, rng)
                    env.cr.rollback()
            if args.pricelist in ("both", "rules"):
                with bc.odoo_env(registry, ctx) as env:
                    bc.log("price resync with a pricelist with rules")
                    prices_rules = price_resync(env, channel_id, args, sim, rng, rules=True)
                    env.cr.rollback()
            registry = None
    finally:
        sim.stop()
    limit = 100
    expected_requests = math.ceil(len(changed) / limit)
    plan_median = statistics.median(plan_times)
    result = {
        "figures": {
            "plan_seconds": bc.figure(bc.rounded(plan_median), f"< {args.target_seconds}",
                                      plan_median < args.target_seconds, unit="s"),
            "full_push_seconds": bc.figure(bc.rounded(push_s), f"< {args.target_seconds}",
                                           push_s < args.target_seconds, unit="s"),
            "requests_sent": bc.figure(
                requests, f"= ceil(changed / {limit}) = {expected_requests}",
                requests == expected_requests),
            "changed_found": bc.figure(plan.changed, f"= {len(changed)} (stock changed)",
                                       plan.changed == len(changed)),
            **(prices.pop("figures") if prices else {}),
            **({f"rules_{k}": v for k, v in prices_rules.pop("figures").items()}
               if prices_rules else {}),
        },
        "bindings": total,
        "dirty_bindings": dirty,
        "changed_products": len(changed),
        "batch_limit": limit,
        "plan": {
            "seconds_runs": [bc.rounded(s) for s in plan_times],
            "dirty_rows_seconds": bc.rounded(rows_s),
            "available_to_sell_seconds": bc.rounded(avail_s),
            "changed": plan.changed,
            "unchanged": len(plan.unchanged),
            "requests": plan.requests,
        },
        "plan_when_nothing_changed": {"seconds": bc.rounded(idle_s),
                                      "changed": idle_plan.changed},
        "mark_all_dirty_seconds": bc.rounded(mark_s),
        "push": {
            "seconds": bc.rounded(push_s),
            "result": message,
            "seconds_by_step": {k: bc.rounded(v) for k, v in parts.items()},
            "seconds_http_and_other": bc.rounded(push_s - sum(parts.values())),
            "stock_http_requests": requests,
            "quantities_applied_by_channel": applied,
            "bindings_still_dirty": still_dirty,
            "bindings_in_error": errors,
        },
        "price_resync": prices,
        "price_resync_with_rules": prices_rules,
        "pure_planner": pure_planner(total, len(changed), args.repeat, rng),
        "build_seconds": bc.rounded(build_s, 1),
        "total_seconds": bc.rounded(time.monotonic() - t0, 1),
    }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
