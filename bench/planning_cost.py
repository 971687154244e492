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
* the pure planner alone on the same number of ``DirtyItem``.

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

import _common as bc

NAME = "planning_cost"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--bindings", type=int, default=50_000, help="bindings (50000)")
    parser.add_argument("--changed-percent", type=float, default=1.0,
                        help="share of products whose stock changes (1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed plan runs (3)")
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


def price_resync(env, channel_id, args, sim, rng):
    """A full price resync of every binding where 1% of the prices changed.

    Every product has VAT 20% on top of its price (the Ukrainian chart), so
    each price goes through the taxes; list prices take 500 values.
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
    pricelist = env["product.pricelist"].create({"name": "Bench channel prices"})
    channel.write({"sync_price": True, "pricelist_id": pricelist.id})
    # the first push sends every price: afterwards the channel shows them all
    first_s, first_message = timed(channel._omni_push, "price", in_job=False)
    cr.execute("SELECT product_id FROM omni_product_binding WHERE channel_id = %s",
               [channel_id])
    product_ids = [row[0] for row in cr.fetchall()]
    count = max(1, round(len(product_ids) * args.changed_percent / 100.0))
    changed = sorted(rng.sample(product_ids, count))
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
        with instrumented([
            (type(env["product.pricelist"]), "_get_products_price"),
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
    return {
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
            with bc.odoo_env(registry, ctx) as env:
                prices = price_resync(env, channel_id, args, sim, rng)
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
            **prices.pop("figures"),
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
        "pure_planner": pure_planner(total, len(changed), args.repeat, rng),
        "build_seconds": bc.rounded(build_s, 1),
        "total_seconds": bc.rounded(time.monotonic() - t0, 1),
    }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
