"""Nova Poshta: "Create TTN" on 200 deliveries selected at once, until all have labels.

``--pickings`` (200) confirmed sale orders to a Nova Poshta branch, cash on
delivery; the "Create TTN" action of the deliveries' list runs on all of them
(one queue job per delivery, channel ``root.omni_np``), and a real Odoo server
with the queue_job runner performs the jobs (``--channels-config``, default
``root:4,root.omni_np:2``). Measured: seconds from the action until every
delivery has its waybill and its label attached, and the requests sent to the
simulator. Prints one JSON object; see bench/README.md.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
for _pkg in ("connectors", "sandbox"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / _pkg))

import _common  # noqa: E402
from _common import emit, figure, log, rounded  # noqa: E402

NAME = "np_ttn_batch"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pickings", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--channels-config", default="root:4,root.omni_np:2")
    parser.add_argument("--timeout", type=float, default=900, help="give up after (s)")
    _common.add_db_arguments(parser, NAME)
    args = parser.parse_args()
    _common.stop_on_sigterm()
    _common.ADDON = "omni_delivery_novaposhta"
    from omni_sandbox.novaposhta import NovaPoshtaSimulator

    sim = NovaPoshtaSimulator(cities=25, warehouses=300).start()
    try:
        with _common.bench_database(args, NAME) as db:
            registry = _common.odoo_registry(db)
            picking_ids = setup(registry, sim, args)
            server = _common.OdooServer(db, workers=args.workers,
                                        channels=args.channels_config)
            try:
                server.start()
                server.wait_ready()
                result = measure(registry, sim, args, picking_ids)
                result["server_error_lines"] = len(server.errors())
            finally:
                server.stop()
                server.cleanup()
    finally:
        sim.stop()
    emit(NAME, result)


def setup(registry, sim, args):
    """Account, directory, shipping method, stock and the confirmed orders."""
    import odoo

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        account = env["omni.np.account"].create({
            "name": "Bench", "api_key": sim.api_key, "api_url": sim.url, "print_url": sim.url,
        })
        cr.commit()  # the directory job writes its progress in its own transaction
        account._omni_np_sync_directory()
        cr.commit()
        account.action_load_sender()
        City = env["omni.np.city"]
        kyiv, lviv = City.search([("name", "=", "Київ")]), City.search([("name", "=", "Львів")])
        account.sender_warehouse_id = kyiv.warehouse_ids.filtered(lambda w: w.number == "1")
        branch = lviv.warehouse_ids.filtered(lambda w: w.kind == "branch")[:1]
        carrier = env["delivery.carrier"].create({
            "name": "NP bench", "delivery_type": "novaposhta",
            "product_id": env["product.product"].create({"name": "NP", "type": "service"}).id,
            "novaposhta_account_id": account.id, "novaposhta_cod_mode": "payment_control",
        })
        warehouse = env["stock.warehouse"].search([], limit=1)
        product = env["product.product"].create({
            "name": "Куртка", "is_storable": True, "list_price": 1200.0, "weight": 1.3,
        })
        env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": product.id, "location_id": warehouse.lot_stock_id.id,
            "inventory_quantity": args.pickings * 2,
        }).action_apply_inventory()
        partner = env["res.partner"].create({"name": "Петренко Іван"})
        log(f"confirming {args.pickings} orders")
        orders = env["sale.order"].create([{
            "partner_id": partner.id, "warehouse_id": warehouse.id, "carrier_id": carrier.id,
            "np_city_id": lviv.id, "np_warehouse_id": branch.id,
            "np_last_name": "Петренко", "np_first_name": "Іван", "np_phone": "+380671234567",
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
        } for _i in range(args.pickings)])
        orders.action_confirm()
        cr.commit()
        return orders.picking_ids.ids


def measure(registry, sim, args, picking_ids):
    import odoo

    sim.requests.clear()
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["stock.picking"].browse(picking_ids).action_omni_np_create_ttn()
        cr.commit()
    action_s = time.perf_counter() - started
    labelled = failed = 0
    deadline = started + args.timeout
    while time.perf_counter() < deadline:
        with registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FILTER (WHERE np_label_id IS NOT NULL),"
                " count(*) FILTER (WHERE np_ttn_state = 'failed')"
                " FROM stock_picking WHERE id = ANY(%s)", [picking_ids])
            labelled, failed = cr.fetchone()
        if labelled + failed >= len(picking_ids):
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    log(f"{labelled} labelled, {failed} failed in {elapsed:.1f} s")
    saves = sum(1 for r in sim.requests
                if "InternetDocument" in (r["body"] or "") and '"save"' in (r["body"] or ""))
    prints = sum(1 for r in sim.requests if r["path"].startswith("/orders/"))
    return {
        "figures": {
            "seconds_until_all_labelled": figure(
                rounded(elapsed, 2), None, labelled == len(picking_ids), "s",
                labelled=labelled, failed=failed, pickings=len(picking_ids)),
            "pickings_per_second": figure(
                rounded(labelled / elapsed, 2) if elapsed else None, None, True, "1/s"),
        },
        "action_seconds": rounded(action_s, 3),
        "requests": {"total": len(sim.requests), "waybill_saves": saves, "prints": prints},
        "config": {"pickings": args.pickings, "workers": args.workers,
                   "channels": args.channels_config,
                   "jobs_run_by": "queue_job runner of a real Odoo server"},
        "load_average": _common.load_average(),
    }


if __name__ == "__main__":
    main()
