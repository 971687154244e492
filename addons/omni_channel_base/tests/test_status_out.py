"""Statuses back to the channel, and the money and refusal events other addons act on."""

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import OmniChannelCase

BUYER = {"name": "Ірина Бойко", "phone": "+380671112233", "email": "iryna@example.com"}


@tagged("post_install", "-at_install")
class TestStatusOut(OmniChannelCase):
    channel_count = 2

    def setUp(self):
        super().setUp()
        for product in self.products:
            self.set_stock(product, 5)
        self.run_jobs()
        self.channel, self.sim = self.channels[0], self.sims[0]

    def import_order(self, lines=None, payment=None):
        placed = self.sim.place_order(
            BUYER, lines or [{"sku": "SKU-0", "quantity": 1}], payment=payment
        )
        self.channel.action_import_orders_now()
        self.run_jobs()
        external = self.env["omni.external.order"].search(
            [("channel_id", "=", self.channel.id), ("external_id", "=", placed["id"])]
        )
        self.assertEqual(external.state, "imported", external.attention_reason)
        return placed, external

    def remote(self, placed):
        return self.sim.orders[placed["id"]]

    def test_confirmed_order_is_accepted_on_the_channel(self):
        placed, external = self.import_order()
        self.assertEqual(self.remote(placed)["status"], "confirmed")
        self.assertEqual(external.status_sync_state, "done")
        self.assertEqual(external.last_status_sent, "confirmed")

    def test_validated_delivery_sends_waybill_and_shipped(self):
        placed, external = self.import_order()
        picking = external.sale_order_id.picking_ids
        picking.carrier_tracking_ref = "20450000000001"
        picking.move_ids.quantity = 1
        picking.button_validate()
        self.run_jobs()
        remote = self.remote(placed)
        self.assertEqual((remote["status"], remote["ttn"]), ("shipped", "20450000000001"))
        self.assertEqual(external.last_status_sent, "shipped")
        self.assertIn("20450000000001", external.sale_order_id.message_ids[0].body)

    def test_waybill_added_after_validation_is_sent_too(self):
        placed, external = self.import_order()
        picking = external.sale_order_id.picking_ids
        picking.move_ids.quantity = 1
        picking.button_validate()
        self.run_jobs()
        self.assertEqual(self.remote(placed)["status"], "confirmed", "no waybill, not shipped")
        picking.carrier_tracking_ref = "20450000000002"
        self.run_jobs()
        self.assertEqual(self.remote(placed)["ttn"], "20450000000002")

    def test_cancel_in_odoo_cancels_on_the_channel_with_the_reason(self):
        placed, external = self.import_order()
        wizard = Form(
            self.env["omni.order.cancel.wizard"].with_context(
                default_sale_order_id=external.sale_order_id.id
            )
        )
        wizard.comment = "Немає в наявності"
        wizard.save().action_confirm()
        self.assertEqual(external.sale_order_id.state, "cancel")
        self.run_jobs()
        remote = self.remote(placed)
        self.assertEqual(remote["status"], "cancelled")
        self.assertEqual(remote["cancel_reason"], "Немає в наявності")
        # stock released and shown again on the other channel
        self.assertEqual(self.shown(self.sims[1], self.products[0]), 5)

    def test_cancelled_on_the_channel_is_not_sent_back(self):
        placed, external = self.import_order()
        self.sim.cancel_order_remote(placed["id"], reason="Покупець передумав")
        self.sim.requests.clear()
        self.channel.action_import_orders_now()
        self.run_jobs()
        self.assertEqual(external.sale_order_id.state, "cancel")
        self.assertFalse(
            [r for r in self.sim.requests if r["path"].endswith("/status")],
            "the channel cancelled it: nothing to tell it",
        )

    def test_refused_status_is_shown_with_retry(self):
        placed, external = self.import_order()
        # the buyer cancelled on the channel meanwhile; Odoo has not imported it yet
        self.sim.cancel_order_remote(placed["id"])
        picking = external.sale_order_id.picking_ids
        picking.carrier_tracking_ref = "20450000000003"
        picking.move_ids.quantity = 1
        picking.button_validate()
        self.run_jobs()
        self.assertEqual(external.status_sync_state, "error")
        self.assertIn("cannot go from cancelled to shipped", external.status_sync_error)
        self.assertTrue(external.activity_ids, "the responsible gets an activity")
        self.sim.orders[placed["id"]]["status"] = "confirmed"  # sorted out on the channel
        external.action_retry_status()
        self.run_jobs()
        self.assertEqual(external.status_sync_state, "done")
        self.assertEqual(self.remote(placed)["status"], "shipped")

    def test_status_push_can_be_switched_off(self):
        self.channel.push_order_status = False
        placed, external = self.import_order()
        self.assertEqual(self.remote(placed)["status"], "new")
        self.assertEqual(external.status_sync_state, "none")

    def test_paid_on_the_channel_is_registered_once(self):
        _placed, external = self.import_order(payment={"method": "card", "paid": True})
        sale = external.sale_order_id
        self.assertEqual(sale.omni_collected_source, "channel")
        self.assertAlmostEqual(sale.omni_collected_amount, external.amount_total)
        messages = len(sale.message_ids)
        self.assertFalse(sale._omni_register_collected(1.0, source="channel"),
                         "the same report twice acts once")
        self.assertEqual(len(sale.message_ids), messages)

    def test_refused_parcel_is_counted_on_the_customer(self):
        _placed, external = self.import_order()
        sale = external.sale_order_id
        partner = sale.partner_id.commercial_partner_id
        sale._omni_parcel_refused(sale.picking_ids)
        self.assertEqual(partner.omni_refused_count, 1)

    def test_ship_button_validates_the_delivery_of_a_channel_order(self):
        _placed, external = self.import_order()
        sale = external.sale_order_id
        self.assertTrue(sale.omni_can_ship)
        sale.action_omni_ship()
        self.assertEqual(sale.picking_ids.state, "done")
        self.assertEqual(sale.picking_ids.move_ids.quantity, 1)
        sale.invalidate_recordset(["omni_can_ship"])
        self.assertFalse(sale.omni_can_ship, "nothing left to ship: the button goes")
        with self.assertRaises(UserError):
            sale.action_omni_ship()
        # not a channel order: no button
        self.assertFalse(self.sell(self.products[1], 1).omni_can_ship)

    def test_refused_parcel_comes_back_to_stock_and_the_channels(self):
        _placed, external = self.import_order(lines=[{"sku": "SKU-0", "quantity": 2}])
        sale = external.sale_order_id
        picking = sale.picking_ids
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        picking.button_validate()
        self.run_jobs()
        product = self.products[0]
        self.assertEqual((product.qty_available, self.shown(self.sims[1], product)), (3, 3))
        sale._omni_parcel_refused(picking)
        sale._omni_parcel_refused(picking)  # reported twice: one return
        back = picking.move_ids.returned_move_ids.picking_id
        self.assertEqual(len(back), 1)
        self.assertEqual((back.picking_type_code, back.state), ("incoming", "assigned"))
        self.assertEqual(back.move_ids.product_uom_qty, 2)
        self.assertEqual(product.qty_available, 3, "back in stock when it arrives")
        back.button_validate()  # the parcel is back: one click
        self.run_jobs()
        self.assertEqual(product.qty_available, 5)
        self.assertEqual(self.shown(self.sims[1], product), 5)
