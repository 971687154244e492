"""The Prom.ua channel end to end, against the Prom simulator over loopback HTTP."""

import json

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.omni_channel_base.tests.common import OmniChannelCase

from omni_sandbox.generic import GenericChannelSimulator
from omni_sandbox.prom import PromSimulator

BUYER = {"name": "Оксана Ковальчук", "phone": "067 123 45 67", "email": "oksana@example.com"}


@tagged("post_install", "-at_install")
class TestPromChannel(OmniChannelCase):
    channel_count = 2
    channel_type = "prom"
    simulator_class = PromSimulator

    @classmethod
    def _omni_make_simulator(cls, index):
        return PromSimulator(token=f"prom-secret-token-{index}-x9")

    @classmethod
    def _omni_channel_vals(cls, index, sim):
        vals = super()._omni_channel_vals(index, sim)
        vals.pop("api_key")
        vals.update(name=f"Prom {chr(65 + index)}", api_url=f"{sim.url}/api/v1",
                    prom_token=sim.api_key)
        return vals

    @classmethod
    def _omni_sim_add_offer(cls, sim, product):
        sim.add_product(product.default_code, quantity=0, price="1.00",
                        gtin=product.barcode or "")

    def setUp(self):
        super().setUp()
        for product in self.products:
            self.set_stock(product, 5)
        self.run_jobs()
        for sim in self.sims:
            sim.requests.clear()
        self.channel, self.sim = self.channels[0], self.sims[0]

    # ------------------------------------------------------------ helpers
    def place(self, lines=None, **kw):
        return self.sim.place_order(BUYER, lines or [{"key": "SKU-0", "quantity": 1}], **kw)

    def import_orders(self, channel=None):
        channel = channel or self.channel
        channel.action_import_orders_now()
        self.run_jobs()
        return self.env["omni.external.order"].search([("channel_id", "=", channel.id)])

    def external(self, placed):
        return self.env["omni.external.order"].search([
            ("channel_id", "=", self.channel.id), ("external_id", "=", str(placed["id"]))])

    def prom_requests(self, path):
        return [r for r in self.sim.requests if r["path"] == f"/api/v1{path}"]

    # -------------------------------------------------------------- tests
    def test_order_becomes_confirmed_sale_with_customer_lines_delivery_commission(self):
        placed = self.place([{"key": "SKU-0", "quantity": 2}, {"key": "SKU-1", "quantity": 1}],
                            comment="Передзвоніть після 18:00")
        external = self.import_orders()
        self.assertEqual(external.state, "imported", external.attention_reason)
        sale = external.sale_order_id
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.partner_id.phone, "+380671234567")
        self.assertEqual(sale.partner_id.email, "oksana@example.com")
        self.assertEqual(
            sorted((line.product_id.default_code, line.product_uom_qty, line.price_unit)
                   for line in sale.order_line),
            [("SKU-0", 2.0, 100.0), ("SKU-1", 1.0, 101.0)])
        self.assertEqual(
            (external.delivery_service, external.delivery_city, external.delivery_warehouse_ref,
             external.delivery_katottg, external.delivery_service_type),
            ("nova_poshta", "Львів", "0d5d1a20-1111-4c0e-9e00-aaaaaaaaaaaa",
             "UA46060250010015970", "WarehouseWarehouse"))
        self.assertTrue(external.cash_on_delivery)
        self.assertEqual(external.comment, "Передзвоніть після 18:00")
        # Prom's commission (9% in the simulator) kept for the profit reports
        self.assertAlmostEqual(sale.omni_commission, 27.09)
        self.assertEqual(sorted(sale.order_line.mapped("omni_commission")), [9.09, 18.0])
        # confirmed here: accepted on Prom, and the other channel shows less
        self.assertEqual(self.sim.orders[placed["id"]]["status"], "received")
        self.assertEqual(self.shown(self.sims[1], self.products[0]), 3)

    def test_a_new_prom_channel_checks_for_orders_every_10_s(self):
        """Prom's own interval, not the base's (justified in the readme)."""
        channel = self.env["omni.channel"].create({"name": "Prom 2", "channel_type": "prom"})
        self.assertEqual(channel.order_poll_interval, 10)
        generic = self.env["omni.channel"].create({"name": "Site", "channel_type": "generic"})
        self.assertEqual(generic.order_poll_interval, 1)
        chosen = self.env["omni.channel"].create(
            {"name": "Prom 3", "channel_type": "prom", "order_poll_interval": 30})
        self.assertEqual(chosen.order_poll_interval, 30, "a value given wins")

    def test_prom_warning_is_shown_to_the_manager(self):
        self.sim.status_warnings["received"] = "Замовлення потребує підтвердження телефоном"
        self.place()
        external = self.import_orders()
        self.assertEqual(external.status_sync_state, "done")
        bodies = external.sale_order_id.message_ids.mapped("body")
        self.assertTrue(any("потребує підтвердження" in body for body in bodies), bodies)

    def test_settings_are_checked_and_reach_the_adapter(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.channel.prom_shipped_status = "shipped"
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.channel.prom_custom_states = "custom-1 means shipped"
        self.channel.write({"prom_custom_states": "custom-5 = shipped\n",
                            "prom_language": "ru", "prom_batch_limit": 50})
        adapter = self.channel._omni_build_adapter()
        self.assertEqual(adapter.custom_states, {"custom-5": "shipped"})
        self.assertEqual(adapter.batch_limit, 50)
        self.assertEqual(adapter.transport.default_headers["X-LANGUAGE"], "ru")

    def test_polling_asks_cheaply_and_fetches_only_on_change(self):
        self.place()
        self.import_orders()
        self.import_orders()  # the order as accepted ("received") by the import
        self.sim.requests.clear()
        self.import_orders()
        lists = self.prom_requests("/orders/list")
        self.assertEqual(len(lists), 1, "only the cheap check")
        self.assertEqual(lists[0]["query"]["limit"], "2")
        self.place()
        self.sim.requests.clear()
        self.assertEqual(len(self.import_orders()), 2)
        self.assertEqual(len(self.prom_requests("/orders/list")), 2, "check, then fetch")

    def test_first_connection_imports_the_last_days(self):
        old = self.place()
        self.sim.age_orders(5 * 86400)
        recent = self.place()
        self.channel.order_import_days = 3
        external = self.import_orders()
        self.assertEqual(external.mapped("external_id"), [str(recent["id"])])
        self.assertFalse(self.external(old))

    def test_stock_change_reaches_prom(self):
        self.set_stock(self.products[2], 8)
        self.run_jobs()
        product = self.sim.product("SKU-2")
        self.assertEqual((product["quantity_in_stock"], product["presence"]), (8, "available"))
        edits = self.prom_requests("/products/edit_by_external_id")
        self.assertTrue(edits and all(json.loads(e["body"])[0]["id"] == "SKU-2" for e in edits))
        self.set_stock(self.products[2], 0)
        self.run_jobs()
        self.assertEqual(self.sim.product("SKU-2")["presence"], "not_available")

    def test_silently_dropped_update_fails_the_binding(self):
        self.sim.silent_drop = {"SKU-1"}
        self.set_stock(self.products[1], 7)
        self.run_jobs()
        binding = self.binding(self.channel, self.products[1])
        self.assertEqual(binding.sync_state, "error")
        self.assertIn("processed_ids", binding.last_error)
        self.sim.silent_drop = set()
        binding.action_retry()
        self.run_jobs()
        self.assertEqual(self.sim.product("SKU-1")["quantity_in_stock"], 7)

    def test_validated_delivery_sends_waybill(self):
        placed = self.place()
        external = self.import_orders()
        picking = external.sale_order_id.picking_ids
        picking.carrier_tracking_ref = "20450000000001"
        picking.move_ids.quantity = 1
        picking.button_validate()
        self.run_jobs()
        self.assertEqual(self.sim.declarations, [(placed["id"], "20450000000001", "nova_poshta")])
        self.assertEqual(external.status_sync_state, "done")
        self.assertEqual(external.last_status_sent, "shipped")
        remote = self.sim.orders[placed["id"]]
        self.assertEqual(remote["delivery_provider_data"]["declaration_number"], "20450000000001")

    def test_shipped_status_and_refused_waybill_with_retry(self):
        self.channel.prom_shipped_status = "custom-137639"
        placed = self.place()
        external = self.import_orders()
        picking = external.sale_order_id.picking_ids
        picking.carrier_tracking_ref = "2045-BAD"
        picking.move_ids.quantity = 1
        picking.button_validate()
        self.run_jobs()
        self.assertEqual(external.status_sync_state, "error")
        self.assertIn("лише цифри", external.status_sync_error)
        picking.carrier_tracking_ref = "20450000000002"
        self.run_jobs()
        self.assertEqual(external.status_sync_state, "done")
        self.assertEqual(self.sim.orders[placed["id"]]["status"], "custom-137639")

    def test_cancel_in_odoo_sends_prom_reason(self):
        placed = self.place()
        external = self.import_orders()
        wizard = Form(self.env["omni.order.cancel.wizard"].with_context(
            default_sale_order_id=external.sale_order_id.id))
        wizard.reason_code = "price_changed"
        wizard.comment = "Ціна постачальника зросла"
        wizard.save().action_confirm()
        self.run_jobs()
        self.assertEqual(self.sim.orders[placed["id"]]["status"], "canceled")
        self.assertEqual(self.sim.status_calls[-1], {
            "ids": [placed["id"]], "status": "canceled",
            "cancellation_reason": "price_changed",
            "cancellation_text": "Ціна постачальника зросла"})
        self.assertEqual(self.shown(self.sims[1], self.products[0]), 5, "stock released")

    def test_cancelled_on_prom_cancels_here(self):
        placed = self.place([{"key": "SKU-0", "quantity": 5}])
        external = self.import_orders()
        self.assertEqual(self.shown(self.sims[1], self.products[0]), 0)
        self.sim.cancel_order_remote(placed["id"], title="Покупець передумав")
        self.sim.status_calls.clear()
        self.import_orders()
        self.assertEqual(external.state, "cancelled")
        self.assertEqual(external.sale_order_id.state, "cancel")
        self.assertFalse(self.sim.status_calls, "Prom cancelled it: nothing to send back")
        self.assertEqual(self.shown(self.sims[1], self.products[0]), 5)

    def test_prom_payment_marks_the_order_paid(self):
        placed = self.place([{"key": "SKU-1", "quantity": 2}], payment="prom")
        external = self.import_orders()
        sale = external.sale_order_id
        self.assertTrue(external.is_paid)
        self.assertEqual(external.prom_payment_status, "paid")
        self.assertEqual(sale.omni_collected_source, "channel")
        self.assertAlmostEqual(sale.omni_collected_amount, 202.0)
        paid_at = placed["payment_data"]["status_modified"][:19].replace("T", " ")
        self.assertEqual(str(sale.omni_collected_date)[:19], paid_at)

    def test_bad_payload_needs_attention_and_is_kept(self):
        self.sim.put_order({"id": 499000001, "status": "pending", "products": [],
                            "date_modified": "2099-01-01T00:00:00+00:00",
                            "price": "сто гривень"})
        external = self.import_orders()
        self.assertEqual(external.state, "needs_attention")
        self.assertIn("499000001", external.attention_detail)
        self.assertIn("сто гривень", external.raw_payload)
        self.assertFalse(external.sale_order_id)

    def test_reimport_changes_nothing(self):
        placed = self.place()
        external = self.import_orders()
        self.import_orders()  # the order as accepted ("received") by the import
        sale, messages = external.sale_order_id, len(external.sale_order_id.message_ids)
        self.channel.sudo().order_cursor = False  # forget the cursor: everything again
        self.import_orders()
        self.assertEqual(self.env["sale.order"].search_count(
            [("omni_external_id", "=", str(placed["id"]))]), 1)
        self.assertEqual(external.sale_order_id, sale)
        self.assertEqual(len(sale.message_ids), messages)

    def test_status_echo_is_stored_not_mapped_again(self):
        self.place()
        external = self.import_orders()
        self.assertEqual(external.last_status_sent, "confirmed")
        notes, count = len(external.message_ids), external.receive_count
        self.channel.action_import_orders_now()
        for job in self.pending_jobs("orders", self.channel):
            self.run_job(job)
        self.assertEqual(external.receive_count, count + 1, "the accepted order came back")
        self.assertFalse(self.pending_jobs("order:"), "it needs no mapping")
        self.assertEqual(external.state, "imported")
        self.assertEqual(len(external.message_ids), notes, "no note of a change")

    def test_match_by_barcode_then_external_id_is_set_on_prom(self):
        product = self.env["product.product"].create({
            "name": "Горнятко", "default_code": "MUG-07", "barcode": "4820000000017",
            "is_storable": True})
        bare = self.sim.add_product("", sku="P-MUG", gtin="4820000000017", quantity=0,
                                    price="230")
        wizard = self.env["omni.binding.wizard"].create(
            {"channel_id": self.channel.id, "mode": "match", "match_by": "barcode"})
        wizard.action_run()
        self.assertEqual(wizard.matched_count, 4, wizard.report)
        self.run_jobs()
        binding = self.binding(self.channel, product)
        self.assertEqual(self.sim.product(bare["id"])["external_id"], binding.sku)
        self.set_stock(product, 4)
        self.run_jobs()
        self.assertEqual(self.sim.product(bare["id"])["quantity_in_stock"], 4)

    def test_token_is_for_administrators_only_and_test_connection(self):
        manager = self.env["res.users"].create({
            "name": "Sales manager", "login": "prom-sales-manager",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_manager").id])]})
        with self.assertRaises(AccessError):
            self.channel.with_user(manager).read(["prom_token"])
        self.assertEqual(self.channel.action_test_connection()["params"]["type"], "success")
        self.sim.tokens.clear()
        with self.assertRaises(UserError) as err:
            self.channel.action_test_connection()
        self.assertIn("401", str(err.exception))
        self.assertNotIn(self.sim.api_key, str(err.exception))

    def test_same_person_on_prom_and_another_channel_is_one_customer(self):
        """Against the generic channel as the other side: runs without the Rozetka addon."""
        with GenericChannelSimulator(api_key="generic-key-1") as generic_sim:
            generic_sim.add_offer("SKU-2", quantity=5, price="100.00")
            generic = self.env["omni.channel"].create({
                "name": "Other shop", "channel_type": "generic", "api_url": generic_sim.url,
                "api_key": "generic-key-1", "warehouse_ids": [(6, 0, self.warehouse.ids)],
                "pricelist_id": self.pricelist.id, "order_poll_interval": 0,
                "sync_stock": False, "sync_price": False})
            self.env["omni.product.binding"].create(
                {"channel_id": generic.id, "product_id": self.products[2].id})
            self.place()
            generic_sim.place_order({"name": "Ковальчук Оксана", "phone": "+380671234567",
                                     "email": ""}, [{"sku": "SKU-2", "quantity": 1}])
            prom_order = self.import_orders()
            generic_order = self.import_orders(generic)
        self.assertEqual(generic_order.state, "imported", generic_order.attention_reason)
        self.assertEqual(prom_order.partner_id, generic_order.partner_id)
