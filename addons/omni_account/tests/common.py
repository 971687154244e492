"""Orders of a channel, their money routes and a bank journal for payouts."""

import base64
from datetime import datetime

from odoo.tests import tagged

from odoo.addons.omni_channel_base.tests.common import OmniLoopbackCase


@tagged("post_install", "-at_install")
class OmniBooksCase(OmniLoopbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        Route = cls.env["omni.money.route"]
        routes = Route.search([("company_id", "=", cls.company.id)])
        if not routes:
            routes = Route._omni_setup_defaults(cls.company)
        cls.cod_route = routes.filtered(lambda r: r.collection == "cod")[:1]
        cls.pay_route = routes.filtered(lambda r: r.collection == "channel")[:1]
        cls.bank = cls.cod_route.payout_journal_id
        cls.channel = cls.env["omni.channel"].create({
            "name": "Marketplace",
            "channel_type": "generic",
            "api_url": "http://127.0.0.1:9/",
            "api_key": "secret-key-books-x9",
            "sync_delay": 1,
            "order_poll_interval": 0,
        })
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "UAH", "currency_id": cls.currency.id})
        cls.product = cls.env["product.product"].create({
            "name": "Kettle",
            "type": "consu",
            "list_price": 1.0,
            "invoice_policy": "order",
            "taxes_id": [(6, 0, [])],
        })
        cls.buyer = cls.env["res.partner"].create({"name": "Buyer", "phone": "+380501234567"})

    def order(self, price, route=None, commission=0.0, cod_fee=0.0, acquiring=0.0, ext=None,
              pricelist=None):
        order = self.env["sale.order"].create({
            "partner_id": self.buyer.id,
            "pricelist_id": (pricelist or self.pricelist).id,
            "omni_channel_id": self.channel.id,
            "omni_external_id": ext,
            "order_line": [(0, 0, {
                "product_id": self.product.id, "product_uom_qty": 1, "price_unit": price,
            })],
        })
        order.action_confirm()
        order.write({
            "omni_money_route_id": (route or self.cod_route).id,
            "omni_commission": commission,
            "omni_cod_fee": cod_fee,
            "omni_acquiring_fee": acquiring,
        })
        return order

    def deliver(self, order):
        picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def collect(self, order, amount, source="cod"):
        order._omni_register_collected(amount, datetime(2026, 12, 1, 10, 0), source)

    def clearing(self, route, order=None):
        """What the payer still owes: the route's clearing account balance, or what is
        open on it for one order's entries."""
        domain = [("account_id", "=", route.clearing_account_id.id),
                  ("parent_state", "=", "posted")]
        if not order:
            lines = self.env["account.move.line"].search(domain)
            return self.currency.round(sum(lines.mapped("balance")))
        domain.append(("move_id.omni_sale_order_id", "=", order.id))
        lines = self.env["account.move.line"].search(domain)
        return self.currency.round(sum(lines.mapped("amount_residual")))

    def bank_line(self, amount, label, partner=None):
        return self.env["account.bank.statement.line"].create({
            "journal_id": self.bank.id,
            "date": "2026-12-03",
            "amount": amount,
            "payment_ref": label,
            "partner_id": (partner or self.cod_route.partner_id).id,
        })

    def import_registry(self, st_line, rows, route=None):
        csv = "order,amount,date,payout\n" + "".join(
            f"{ref},{amount},2026-12-03,PAY-1\n" for ref, amount in rows)
        wizard = self.env["omni.payout.registry.import"].with_context(
            active_id=st_line.id).create({
                "registry_file": base64.b64encode(csv.encode()),
                "registry_filename": "registry.csv",
                "route_id": (route or self.cod_route).id,
            })
        wizard.action_import()
        return wizard
