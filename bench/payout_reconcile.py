#!/usr/bin/env python3
"""Payout of 2,000 orders reconciled against their clearing entries (omni_account).

Set-up (not timed): ``--orders`` sale orders of the cash-on-delivery money route,
each with the entries ``omni_account`` books when the money is collected (payment
into the clearing journal: clearing debit, receivable credit; fees: expense debit,
clearing credit), created in bulk and posted. The payer's registry (CSV: order,
net amount, date, payout) lists every order; ``--mismatch`` of them (default 1 %)
with an amount off by more than the tolerance, as a payer's error would be. One
bank line carries the whole payout (the registry's total).

The set-up is committed and the tables analysed (in production the entries are
booked days before the payout arrives); a database given with ``--db`` keeps it.

Timed: the registry import (OCA sheet parser with the route's column mapping) and
the matching (proposal in the reconciliation widget), then the confirmation that
reconciles. Reports seconds, the orders matched and reconciled without a hand, the
ones left with a reason, and whether the matched orders' clearing entries are at 0.
Prints one JSON object on stdout.
"""

import base64
import random
import subprocess
import sys
import time

import _common as bc

NAME = "payout_reconcile"
ADDON = "omni_account"


def parse_args(argv):
    parser = bc.base_parser(__doc__.splitlines()[0])
    bc.add_db_arguments(parser, NAME)
    parser.add_argument("--orders", type=int, default=2000, help="orders in the payout (2000)")
    parser.add_argument("--mismatch", type=float, default=0.01,
                        help="share of registry rows with a wrong amount (0.01)")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--target-seconds", type=float, default=60.0)
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


def set_up(env, args, rng):
    """Orders and their clearing entries, as the addon books them, in bulk."""
    company = env.company
    route = env["omni.money.route"].search(
        [("company_id", "=", company.id), ("collection", "=", "cod")], limit=1)
    if not route:
        route = env["omni.money.route"]._omni_setup_defaults(company).filtered(
            lambda r: r.collection == "cod")
    currency = company.currency_id
    buyer = env["res.partner"].create({"name": "Bench buyer"})
    product = env["product.product"].create(
        {"name": "Bench item", "type": "consu", "taxes_id": [(6, 0, [])]})
    prices = [round(rng.uniform(150, 5000), 2) for _ in range(args.orders)]
    orders = env["sale.order"].create([{
        "partner_id": buyer.id,
        "omni_money_route_id": route.id,
        "order_line": [(0, 0, {"product_id": product.id, "price_unit": price,
                               "product_uom_qty": 1})],
    } for price in prices])
    receivable = buyer.property_account_receivable_id
    day = "2026-12-01"
    moves = []
    nets = []
    for order, price in zip(orders, prices, strict=True):
        fee = currency.round(price * 0.02 + 20)
        nets.append(currency.round(price - fee))
        moves.append({
            "move_type": "entry", "journal_id": route.journal_id.id, "date": day,
            "ref": order.name, "omni_sale_order_id": order.id,
            "line_ids": [
                (0, 0, {"account_id": route.clearing_account_id.id, "partner_id": buyer.id,
                        "name": order.name, "balance": price}),
                (0, 0, {"account_id": receivable.id, "partner_id": buyer.id,
                        "name": order.name, "balance": -price}),
            ],
        })
        moves.append({
            "move_type": "entry", "journal_id": route.journal_id.id, "date": day,
            "ref": order.name, "omni_sale_order_id": order.id,
            "line_ids": [
                (0, 0, {"account_id": route.cod_fee_account_id.id,
                        "partner_id": route.partner_id.id, "name": order.name,
                        "balance": fee}),
                (0, 0, {"account_id": route.clearing_account_id.id,
                        "partner_id": route.partner_id.id, "name": order.name,
                        "balance": -fee}),
            ],
        })
    env["account.move"].create(moves)._post(soft=False)
    wrong = set(rng.sample(range(args.orders), int(round(args.orders * args.mismatch))))
    rows = []
    for index, (order, net) in enumerate(zip(orders, nets, strict=True)):
        reported = currency.round(net + 15.0) if index in wrong else net
        rows.append((order.name, reported))
    csv = "order,amount,date,payout\n" + "".join(
        f"{ref},{amount:.2f},2026-12-03,PAY-BENCH\n" for ref, amount in rows)
    total = currency.round(sum(amount for _ref, amount in rows))
    st_line = env["account.bank.statement.line"].create({
        "journal_id": route.payout_journal_id.id, "date": "2026-12-03", "amount": total,
        "payment_ref": "Nova Poshta payout PAY-BENCH", "partner_id": route.partner_id.id,
        "omni_money_route_id": route.id,
    })
    return route, orders, st_line, csv, len(wrong)


def run(registry, args, rng):
    with registry.cursor() as cr:
        from odoo import SUPERUSER_ID, api

        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        started = time.perf_counter()
        route, orders, st_line, csv, wrong = set_up(env, args, rng)
        env.flush_all()
        # as in production, the clearing entries were booked days before the payout:
        # committed, and the tables analysed
        cr.commit()  # pylint: disable=invalid-commit
        cr.execute("ANALYZE account_move_line, account_move, account_partial_reconcile, "
                   "sale_order, account_payment")
        bc.log(f"set-up: {len(orders)} orders in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        wizard = env["omni.payout.registry.import"].with_context(active_id=st_line.id).create({
            "registry_file": base64.b64encode(csv.encode()),
            "registry_filename": "registry.csv",
            "route_id": route.id,
        })
        wizard.action_import()
        env.flush_all()
        matched_at = time.perf_counter()
        payout_lines = st_line.omni_payout_line_ids
        matched = len(payout_lines.filtered(lambda p: p.state == "matched"))
        st_line.action_omni_confirm_payout()
        env.flush_all()
        done_at = time.perf_counter()
        reconciled = payout_lines.filtered(lambda p: p.state == "reconciled")
        left = payout_lines.filtered(lambda p: p.state == "unmatched")
        open_lines = env["account.move.line"].search([
            ("account_id", "=", route.clearing_account_id.id),
            ("move_id.omni_sale_order_id", "in", reconciled.sale_order_id.ids),
            ("reconciled", "=", False)])
        result = {
            "orders": len(orders),
            "registry_rows_wrong": wrong,
            "match_seconds": matched_at - started,
            "confirm_seconds": done_at - matched_at,
            "seconds": done_at - started,
            "matched": matched,
            "reconciled": len(reconciled),
            "left_with_reason": len(left),
            "reasons_given": len(left.filtered("reason")),
            "matched_clearing_open_lines": len(open_lines),
            "state": st_line.omni_payout_state,
        }
        cr.rollback()  # the payout itself is not kept
    return result


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    bc.stop_on_sigterm()
    rng = random.Random(args.seed)
    with bc.bench_database(args, NAME) as db:
        ensure_addon(db)
        registry = bc.odoo_registry(db)
        res = run(registry, args, rng)
        registry = None
    bc.log(f"payout: {res['reconciled']} of {res['orders']} reconciled in {res['seconds']:.1f}s")
    expected = res["orders"] - res["registry_rows_wrong"]
    result = {
        "figures": {
            "seconds": bc.figure(bc.rounded(res["seconds"], 2), f"< {args.target_seconds}",
                                 res["seconds"] < args.target_seconds, unit="s"),
            "matched_without_a_hand": bc.figure(
                res["reconciled"], f"= orders - wrong rows = {expected}",
                res["reconciled"] == expected and not res["matched_clearing_open_lines"],
                unit="orders"),
        },
        "detail": {k: (bc.rounded(v) if isinstance(v, float) else v) for k, v in res.items()},
        "config": {"orders": args.orders, "mismatch": args.mismatch, "seed": args.seed},
        "load_average": bc.load_average(),
    }
    bc.emit(NAME, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
