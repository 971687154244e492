"""The three scenarios of the suite, end to end across every addon, on the simulators."""


from odoo.tests import tagged

from .common import SuiteCase

BUYER_RZ = {"first_name": "Олена", "last_name": "Бондаренко", "second_name": "Іванівна",
            "phone": "380671234567"}
BUYER_PROM = {"name": "Оксана Ковальчук", "phone": "067 123 45 67",
              "email": "oksana@example.com"}


@tagged("post_install", "-at_install")
class TestEndToEnd(SuiteCase):
    def setUp(self):
        super().setUp()
        self.set_stock(self.product, 1)  # the last unit
        self.set_stock(self.products[1], 5)
        self.run_all_jobs()
        self.assertEqual(self.shown(self.rozetka_sim, self.product), 1)
        self.assertEqual(self.shown(self.prom_sim, self.product), 1)
        self.assertEqual(self.feed_quantity(self.product), 1)

    def rozetka_order_shipped_and_collected(self):
        # a buyer orders the last unit on Rozetka, cash on delivery at a Nova Poshta branch
        placed = self.rozetka_sim.place_order(
            [{"sku": self.product.default_code, "quantity": 1}], customer=BUYER_RZ)
        external = self.import_orders(self.rozetka)
        self.assertEqual(external.state, "imported", external.attention_reason)
        sale = external.sale_order_id
        self.assertEqual(sale.state, "sale")
        self.assertEqual(self.rozetka_sim.orders[placed["id"]]["status"], 26, "accepted")
        # the other channels show none left
        self.assertEqual(self.shown(self.prom_sim, self.product), 0)
        self.assertEqual(self.feed_quantity(self.product), 0)
        # the Nova Poshta branch of the order is known: nothing for the manager to fill in
        self.assertEqual(sale.carrier_id, self.carrier)
        self.assertFalse(sale.np_attention, sale.np_attention_reason)
        self.assertEqual((sale.np_city_id.name, sale.np_warehouse_id.number), ("Київ", "17"))

        # one click: Ship (the delivery is validated as its own Validate does)
        self.assertTrue(sale.omni_can_ship)
        sale.action_omni_ship()
        self.run_all_jobs()
        picking = sale.picking_ids
        self.assertEqual(picking.state, "done")
        ttn = picking.carrier_tracking_ref
        self.assertTrue(ttn, "a waybill was created")
        self.assertIn(ttn, self.np_sim.documents)
        self.assertTrue(picking.np_label_id.raw.startswith(b"%PDF"), "label attached")
        remote = self.rozetka_sim.orders[placed["id"]]
        self.assertEqual((remote["status"], remote["ttn"]), (3, ttn), "shipped with the TTN")
        self.assertEqual(external.last_status_sent, "shipped")

        # Nova Poshta hands it over and collects the cash
        self.track(picking, 10)
        self.assertEqual(picking.np_state, "received")
        self.assertEqual(picking.np_cod_collected, 100.0)
        self.assertEqual(sale.omni_collected_source, "cod")
        receipt = sale.omni_fiscal_receipt_ids
        self.assertEqual((receipt.receipt_type, receipt.state), ("sell", "done"))
        self.assertTrue(receipt.fiscal_code)

        # the invoice is paid from the collected cash, into the carrier's clearing journal
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        payment = sale.omni_payment_ids
        self.assertEqual((payment.amount, payment.journal_id),
                         (100.0, self.cod_route.journal_id))

        # the channel P&L shows the order with its costs
        row = self.pnl(sale)
        self.assertEqual(row["channel_id"][0], self.rozetka.id)
        self.assertEqual(row["revenue"], 100.0)
        self.assertEqual(row["cogs"], 40.0)
        self.assertEqual(row["commission"], sale.omni_commission)
        self.assertGreater(row["commission"], 0)
        self.assertEqual(row["delivery_cost"], sale.omni_delivery_cost)
        self.assertGreater(row["delivery_cost"], 0)
        self.assertEqual(row["cod_fee"], 22.0)
        self.assertAlmostEqual(
            row["margin"], row["net_revenue"] - row["cogs"] - row["commission"]
            - row["delivery_cost"] - row["cod_fee"] - row["acquiring_fee"], places=2)
        return sale

    def test_rozetka_order_for_the_last_unit_shipped_collected_booked_reported(self):
        self.rozetka_order_shipped_and_collected()

    def test_rozetka_cod_payout_reconciled(self):
        """Nova Poshta pays out the cash less its own fee; Rozetka bills its commission
        apart: it is owed to Rozetka, not taken off the carrier's clearing."""
        sale = self.rozetka_order_shipped_and_collected()
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        net = round(100.0 - sale.omni_cod_fee, 2)
        st_line = self.env["account.bank.statement.line"].create({
            "journal_id": self.cod_route.payout_journal_id.id, "date": "2026-12-03",
            "amount": net, "payment_ref": f"Nova Poshta payout: {sale.name}",
            "partner_id": self.cod_route.partner_id.id,
        })
        st_line.action_omni_match_payout()
        self.assertEqual(st_line.omni_payout_state, "matched", st_line.omni_payout_reason)
        st_line.action_omni_confirm_payout()
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(invoice.payment_state, "paid")
        # the carrier's clearing is settled; the commission is owed to the marketplace
        clearing = self.env["account.move.line"].search([
            ("account_id", "=", self.cod_route.clearing_account_id.id),
            ("parent_state", "=", "posted")])
        self.assertAlmostEqual(sum(clearing.mapped("balance")), 0.0, places=2)
        owed = sale.omni_fee_move_ids.line_ids.filtered(
            lambda line: line.partner_id == self.rozetka.omni_billing_partner_id)
        self.assertAlmostEqual(-sum(owed.mapped("balance")), sale.omni_commission, places=2)
        self.assertEqual(owed.account_id.account_type, "liability_payable")

    def test_prom_order_paid_with_prom_payment_receipt_at_payment(self):
        self.prom_sim.place_order(BUYER_PROM, [{"key": self.product.default_code,
                                                "quantity": 1}], payment="prom")
        external = self.import_orders(self.prom)
        self.assertEqual(external.state, "imported", external.attention_reason)
        sale = external.sale_order_id
        self.assertTrue(external.is_paid)
        self.assertAlmostEqual(sale.omni_collected_amount, 100.0)
        # the receipt is issued when Prom reports the payment, before shipping
        receipt = sale.omni_fiscal_receipt_ids
        self.assertEqual((receipt.receipt_type, receipt.state), ("sell", "done"),
                         receipt.error_message if receipt else "no receipt")
        self.assertTrue(receipt.fiscal_code)
        self.assertEqual(self.shown(self.rozetka_sim, self.product), 0)
        self.assertEqual(self.feed_quantity(self.product), 0)
        # paid: no cash on delivery on the waybill
        picking = self.ship(sale)
        self.assertTrue(picking.carrier_tracking_ref)
        document = self.np_sim.documents[picking.carrier_tracking_ref]
        self.assertFalse(float(document.get("RedeliverySum") or 0))
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(sale.omni_payment_ids.journal_id, self.channel_route.journal_id)
        self.assertEqual(len(sale.omni_fiscal_receipt_ids), 1, "no second receipt at delivery")
        self.track(picking, 10)
        self.assertEqual(len(sale.omni_fiscal_receipt_ids), 1)
        row = self.pnl(sale)
        self.assertEqual(row["channel_id"][0], self.prom.id)
        self.assertGreater(row["commission"], 0)

    def test_refused_parcel_stock_back_return_receipt_counted_on_customer(self):
        self.prom_sim.place_order(BUYER_PROM, [{"key": self.product.default_code,
                                                "quantity": 1}], payment="prom")
        sale = self.import_orders(self.prom).sale_order_id
        sell = sale.omni_fiscal_receipt_ids
        self.assertEqual(sell.state, "done")
        picking = self.ship(sale)
        self.assertEqual(self.product.qty_available, 0)
        self.track(picking, 10, script="refused")
        self.assertEqual(picking.np_state, "returned", "refused, then back at the sender")
        # a return receipt waits for the parcel; validated when it is back, the stock
        # and the channels see the unit again
        back = picking.move_ids.returned_move_ids.picking_id
        self.assertEqual((back.picking_type_code, back.state), ("incoming", "assigned"))
        back.button_validate()
        self.run_all_jobs()
        self.assertEqual(self.product.qty_available, 1)
        self.assertEqual(self.shown(self.rozetka_sim, self.product), 1)
        self.assertEqual(self.feed_quantity(self.product), 1)
        # the sell receipt had been issued at payment: a return receipt follows
        back = sale.omni_fiscal_receipt_ids - sell
        self.assertEqual((back.receipt_type, back.state), ("return", "done"))
        self.assertTrue(back.fiscal_code)
        self.assertEqual(sale.partner_id.omni_refused_count, 1)
