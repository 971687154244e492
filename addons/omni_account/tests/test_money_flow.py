from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OmniBooksCase


@tagged("post_install", "-at_install")
class TestMoneyFlow(OmniBooksCase):
    def test_ukrainian_defaults(self):
        """With the Ukrainian chart, clearing on 377 sub-accounts, fees on 93."""
        if self.company.chart_template != "ua_psbo":
            self.skipTest("the company does not use the Ukrainian chart")
        self.assertEqual(self.cod_route.clearing_account_id.code, "377101")
        self.assertEqual(self.pay_route.clearing_account_id.code, "377102")
        self.assertEqual(self.cod_route.commission_account_id.code, "930000")
        self.assertEqual(self.cod_route.invoice_policy, "delivery")
        self.assertEqual(self.pay_route.invoice_policy, "payment")
        self.assertTrue(self.cod_route.reconcile_model_id)

    def test_cod_order_invoiced_at_delivery_paid_when_collected(self):
        order = self.order(1000.00, commission=50.00, cod_fee=20.30)
        self.assertFalse(order.invoice_ids)
        picking = self.deliver(order)
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.omni_picking_id, picking)
        self.assertEqual(invoice.amount_total, 1000.00)
        self.assertEqual(invoice.payment_state, "not_paid")

        self.collect(order, 1000.00)
        payment = order.omni_payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.journal_id, self.cod_route.journal_id)
        self.assertEqual(payment.amount, 1000.00)
        self.assertEqual(str(payment.date), "2026-12-01")
        # the customer paid (Odoo Community shows it paid; with an accounting app
        # "in payment"); the payment waits for the payout on the clearing account
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(payment.is_matched)
        # the clearing account holds what Nova Poshta still owes: cash less its fee
        # and the marketplace's commission
        self.assertEqual(self.clearing(self.cod_route, order), 929.70)
        fees = order.omni_fee_move_ids
        self.assertEqual(fees.state, "posted")
        fee_lines = fees.line_ids.filtered(
            lambda line: line.account_id == self.cod_route.commission_account_id)
        self.assertEqual(sorted(fee_lines.mapped("balance")), [20.30, 50.00])

        # the booked payment paying the invoice is no new collection (the fiscal addon
        # reports paid invoices as source "payment"): the carrier stays the collector
        self.assertFalse(order.with_context(omni_books_booking=True)._omni_register_collected(
            1000.00, None, "payment"))
        self.assertEqual(order.omni_collected_source, "cod")
        # a repeated report books nothing twice
        order._omni_on_money_collected(1000.00, order.omni_collected_date, "cod")
        self.assertEqual(len(order.omni_payment_ids), 1)
        self.assertEqual(self.clearing(self.cod_route, order), 929.70)

    def test_card_paid_order_with_commission(self):
        order = self.order(1500.00, route=self.pay_route, commission=112.35, acquiring=22.50)
        self.collect(order, 1500.00, "channel")
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted", "invoiced when the money is collected")
        self.assertEqual(invoice.amount_total, 1500.00)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(order.omni_payment_ids.is_matched)
        self.assertEqual(order.omni_payment_ids.journal_id, self.pay_route.journal_id)
        self.assertEqual(self.clearing(self.pay_route, order), 1365.15)
        expense = order.omni_fee_move_ids.line_ids.filtered(lambda line: line.balance > 0)
        self.assertEqual(self.currency.round(sum(expense.mapped("balance"))), 134.85)
        # the payout of the net amount settles it: invoice paid, clearing at 0
        st_line = self.bank_line(1365.15, f"Prom payout {order.name}",
                                 partner=self.pay_route.partner_id)
        st_line.omni_money_route_id = self.pay_route
        st_line.action_omni_match_payout()
        self.assertEqual(st_line.omni_payout_state, "matched", st_line.omni_payout_reason)
        st_line.action_omni_confirm_payout()
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(self.clearing(self.pay_route, order), 0.0)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(order.omni_payment_ids.is_matched)

    def test_fee_known_after_the_money_is_booked_too(self):
        """The carrier reports its fee with the collection, after the money is booked;
        a commission refunded later is taken back: the clearing account follows."""
        order = self.order(1000.00, commission=50.00)
        self.deliver(order)
        self.collect(order, 1000.00)
        self.assertEqual(self.clearing(self.cod_route, order), 950.00)
        order.omni_cod_fee = 20.30
        self.assertEqual(self.clearing(self.cod_route, order), 929.70)
        order.omni_commission = 0.0
        self.assertEqual(self.clearing(self.cod_route, order), 979.70)
        self.assertEqual(len(order.omni_fee_move_ids), 3)
        order.omni_cod_fee = 20.30  # the same figure again books nothing
        self.assertEqual(len(order.omni_fee_move_ids), 3)

    def test_policy_none_books_nothing(self):
        self.pay_route.invoice_policy = "none"
        order = self.order(300.00, route=self.pay_route, commission=10.0)
        self.collect(order, 300.00, "channel")
        self.assertFalse(order.invoice_ids)
        self.assertFalse(order.omni_payment_ids)
        self.assertFalse(order.omni_fee_move_ids)

    def test_refused_parcel_after_invoice_reversed(self):
        order = self.order(799.99, commission=40.00)
        picking = self.deliver(order)
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        order._omni_parcel_refused(picking)
        refund = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.amount_total, 799.99)
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(refund.omni_picking_id, picking)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertFalse(order.omni_payment_ids, "no cash was collected: nothing to refund")

    def test_refused_prepaid_order_refunded_from_clearing(self):
        order = self.order(1200.00, route=self.pay_route, commission=60.00)
        self.collect(order, 1200.00, "channel")
        self.assertEqual(self.clearing(self.pay_route, order), 1140.00)
        picking = self.deliver(order)
        order._omni_parcel_refused(picking)
        refund = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(refund.amount_total, 1200.00)
        self.assertIn(refund.payment_state, ("paid", "in_payment"))
        out = order.omni_payment_ids.filtered(lambda p: p.payment_type == "outbound")
        self.assertEqual(out.amount, 1200.00)
        # the buyer's money goes back; the commission kept by the marketplace stays
        self.assertEqual(self.clearing(self.pay_route, order), -60.00)

    def test_only_accountants_match_payouts(self):
        user = self.env["res.users"].create({
            "name": "Seller", "login": "seller-books",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id,
                                  self.env.ref("account.group_account_invoice").id])],
        })
        st_line = self.bank_line(10.0, "payout")
        with self.assertRaises(AccessError):
            st_line.with_user(user).action_omni_match_payout()
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(user).create(
                {}).action_omni_setup_money_routes()

    def test_route_from_the_channel_order(self):
        """The route follows the channel order: cash on delivery or paid on the channel;
        a route naming the channel wins over the route for every channel."""
        Ext = self.env["omni.external.order"]
        cod = self.order(100.0)
        Ext.create({"channel_id": self.channel.id, "external_id": "E-1", "cash_on_delivery": True,
                    "sale_order_id": cod.id})
        cod._compute_omni_money_route_id()
        self.assertEqual(cod.omni_money_route_id, self.cod_route)
        paid = self.order(100.0)
        Ext.create({"channel_id": self.channel.id, "external_id": "E-2", "sale_order_id": paid.id})
        own = self.pay_route.copy({"name": "Own", "channel_ids": [(6, 0, self.channel.ids)],
                                   "invoice_policy": "none"})
        paid._compute_omni_money_route_id()
        self.assertEqual(paid.omni_money_route_id, own)
        self.collect(paid, 100.0, "channel")
        self.assertFalse(paid.invoice_ids, "this channel's documents live elsewhere")

    def test_paid_before_anything_to_invoice(self):
        """Products invoiced on delivered quantities: the payment waits as the buyer's
        credit and settles the invoice made when the delivery is validated."""
        self.product.invoice_policy = "delivery"
        order = self.order(640.00, route=self.pay_route, commission=32.00)
        self.collect(order, 640.00, "channel")
        self.assertFalse(order.invoice_ids)
        self.assertEqual(len(order.omni_payment_ids), 1)
        self.assertFalse(order.omni_payment_ids.is_reconciled, "waits as the buyer's credit")
        self.assertEqual(self.clearing(self.pay_route, order), 608.00)
        self.deliver(order)
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_order_in_another_currency(self):
        """Payment and fees in the order's currency, to the cent; the clearing account
        holds the same in both currencies."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "name": "2026-11-01", "rate": 1 / 45.1234})
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": eur.id})
        order = self.order(99.99, route=self.pay_route, commission=7.77, acquiring=1.49,
                           pricelist=pricelist)
        self.assertEqual(order.currency_id, eur)
        self.collect(order, 99.99, "channel")
        payment = order.omni_payment_ids
        self.assertEqual(payment.currency_id, eur)
        self.assertEqual(payment.amount, 99.99)
        lines = self.env["account.move.line"].search([
            ("account_id", "=", self.pay_route.clearing_account_id.id),
            ("move_id.omni_sale_order_id", "=", order.id)])
        self.assertEqual(set(lines.currency_id), {eur})
        self.assertEqual(eur.round(sum(lines.mapped("amount_residual_currency"))), 90.73)
        self.assertEqual(order.invoice_ids.currency_id, eur)
        self.assertTrue(order.invoice_ids.currency_id.is_zero(order.invoice_ids.amount_residual))

    def test_warehouse_user_validates_the_delivery(self):
        """Booking is the system's: a user without accounting rights validating the
        delivery still gets the order invoiced."""
        user = self.env["res.users"].create({
            "name": "Storekeeper", "login": "store-books",
            "groups_id": [(6, 0, [self.env.ref("stock.group_stock_user").id])],
        })
        order = self.order(250.00)
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.with_user(user).button_validate()
        self.assertEqual(order.invoice_ids.state, "posted")
        with self.assertRaises(AccessError):
            self.env["omni.money.route"].with_user(user).search([]).read(["name"])

    def test_first_fee_known_after_the_money(self):
        order = self.order(300.00)
        self.deliver(order)
        self.collect(order, 300.00)
        self.assertFalse(order.omni_fee_move_ids)
        order.omni_cod_fee = 16.00
        self.assertEqual(self.clearing(self.cod_route, order), 284.00)
