"""Nova Poshta: the full branch directory into Odoo, and a tracking refresh of many waybills.

1. The simulator serves ``--warehouses`` branches and lockers (40,000) in
   ``--cities`` cities; the account's directory job loads them into Odoo
   (batched upserts by ref): seconds and peak memory (RSS growth of this
   process). Target: under 60 s.
2. ``--waybills`` (5,000) active waybills on deliveries; one tracking job
   refreshes them, every one moving to "in transit": requests sent (target
   ceil(n / 100) = 50) and seconds (target 30); then a second refresh where
   nothing moved: seconds and chatter notes posted (0).

Prints one JSON object; see bench/README.md.
"""

import argparse
import math
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
for _pkg in ("connectors", "sandbox"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / _pkg))

import _common  # noqa: E402
from _common import emit, figure, log, rounded  # noqa: E402

NAME = "np_directory_tracking"


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouses", type=int, default=40000)
    parser.add_argument("--cities", type=int, default=3000)
    parser.add_argument("--waybills", type=int, default=5000)
    _common.add_db_arguments(parser, NAME)
    args = parser.parse_args()
    _common.stop_on_sigterm()
    _common.ADDON = "omni_delivery_novaposhta"
    from omni_sandbox.novaposhta import NovaPoshtaSimulator

    sim = NovaPoshtaSimulator(cities=args.cities, warehouses=args.warehouses).start()
    try:
        log(f"simulator: {len(sim.directory['warehouses'])} branches generated")
        with _common.bench_database(args, NAME) as db:
            result = run(db, sim, args)
    finally:
        sim.stop()
    emit(NAME, result)


def run(db, sim, args):
    import odoo

    registry = _common.odoo_registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        account = env["omni.np.account"].create({
            "name": "Bench", "api_key": sim.api_key, "api_url": sim.url, "print_url": sim.url,
        })
        cr.commit()
        rss_before = rss_mb()
        started = time.perf_counter()
        account._omni_np_sync_directory()
        cr.commit()
        directory_s = time.perf_counter() - started
        peak = rss_mb() - rss_before
        loaded = env["omni.np.warehouse"].search_count([])
        log(f"directory: {loaded} branches in {directory_s:.1f} s")
        account.action_load_sender()
        carrier = env["delivery.carrier"].create({
            "name": "NP bench", "delivery_type": "novaposhta",
            "product_id": env["product.product"].create(
                {"name": "NP", "type": "service"}).id,
            "novaposhta_account_id": account.id,
        })
        picking_type = env["stock.warehouse"].search([], limit=1).out_type_id
        numbers = []
        for _i in range(args.waybills):
            doc = sim.add_document()
            sim.advance(doc["IntDocNumber"], 2)
            numbers.append((doc["IntDocNumber"], doc["Ref"]))
        log(f"creating {len(numbers)} deliveries with waybills")
        env["stock.picking"].create([{
            "picking_type_id": picking_type.id, "carrier_id": carrier.id,
            "carrier_tracking_ref": number, "np_waybill_ref": ref, "np_state": "created",
        } for number, ref in numbers])
        cr.commit()
        sim.requests.clear()
        started = time.perf_counter()
        account._omni_np_track()
        cr.commit()
        tracking_s = time.perf_counter() - started
        requests = sum(1 for r in sim.requests if "getStatusDocuments" in (r["body"] or ""))
        moved = env["stock.picking"].search_count(
            [("carrier_id", "=", carrier.id), ("np_state", "=", "in_transit")])
        # the next refresh: nothing moved, so no chatter note and no event
        messages = env["mail.message"].search_count([("model", "=", "stock.picking")])
        started = time.perf_counter()
        account._omni_np_track()
        cr.commit()
        unchanged_s = time.perf_counter() - started
        notes = env["mail.message"].search_count([("model", "=", "stock.picking")]) - messages
    target_requests = math.ceil(args.waybills / 100)
    return {
        "figures": {
            "directory_seconds": figure(rounded(directory_s, 2), 60, directory_s < 60, "s",
                                        warehouses=loaded),
            "directory_peak_memory_mb": figure(rounded(peak, 1), None, True, "MB"),
            "tracking_requests": figure(requests, target_requests, requests <= target_requests,
                                        waybills=args.waybills),
            "tracking_seconds": figure(rounded(tracking_s, 2), 30, tracking_s < 30, "s",
                                       updated=moved),
            "tracking_unchanged_seconds": figure(rounded(unchanged_s, 2), 30,
                                                 unchanged_s < 30, "s", notes_posted=notes),
        },
        "config": {"warehouses": args.warehouses, "cities": args.cities,
                   "waybills": args.waybills},
        "load_average": _common.load_average(),
    }


if __name__ == "__main__":
    main()
