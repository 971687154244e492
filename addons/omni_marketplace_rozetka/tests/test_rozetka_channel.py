"""The Rozetka channel end to end: orders in, statuses and TTN back, stock and prices out."""

from odoo.tests import Form, tagged

from .common import RozetkaChannelCase

BUYER = {"first_name": "Олена", "last_name": "Бондаренко", "second_name": "Іванівна",
         "phone": "380671234567"}


@tagged("post_install", "-at_install")
class TestRozetkaChannel(RozetkaChannelCase):
    def setUp(self):
        super().setUp()
        for product in self.products:
            self.set_stock(product, 5)
        self.run_jobs()

    def import_orders(self):
        self.channel.action_import_orders_now()
        self.run_jobs()
        return self.env["omni.external.order"].search([("channel_id", "=", self.channel.id)])

    def place(self, lines=None, **kw):
        return self.sim.place_order(lines or [{"sku": "SKU-0", "quantity": 1}],
                                    customer=kw.pop("customer", BUYER), **kw)

    def external(self, placed):
        return self.env["omni.external.order"].search([
            ("channel_id", "=", self.channel.id), ("external_id", "=", str(placed["id"]))])

    def puts(self):
        return [r for r in self.sim.requests if r["method"] == "PUT"
                and r["path"].startswith("/orders/")]

    # ------------------------------------------------------------ orders in
    def test_order_becomes_confirmed_sale_and_reaches_other_channel(self):
        placed = self.place([{"sku": "SKU-0", "quantity": 2}, {"sku": "SKU-1", "quantity": 1}],
                            comment="Подзвоніть після 18:00")
        external = self.import_orders()
        self.assertEqual(len(external), 1)
        self.assertEqual(external.state, "imported", external.attention_reason)
        sale = external.sale_order_id
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.omni_channel_id, self.channel)
        self.assertEqual(sale.client_order_ref, str(placed["id"]))
        self.assertEqual(
            sorted((ln.product_id.default_code, ln.product_uom_qty, ln.price_unit)
                   for ln in sale.order_line),
            [("SKU-0", 2.0, 100.0), ("SKU-1", 1.0, 101.0)],
        )
        self.assertEqual(sale.partner_id.phone, "+380671234567")
        self.assertIn("Бондаренко", sale.partner_id.name)
        self.assertEqual(sale.note and "18:00" in str(sale.note), True)
        # Nova Poshta branch 17 in Kyiv, the recipient's name parts, cash on delivery
        self.assertEqual(external.delivery_service, "nova_poshta")
        self.assertEqual(external.delivery_city, "Київ")
        self.assertEqual(external.delivery_warehouse_number, "17")
        self.assertEqual(external.delivery_warehouse_ref, "7b422fc5-e1b8-11e3-8c4a-0050568002cf")
        self.assertEqual((external.recipient_last_name, external.recipient_middle_name),
                         ("Бондаренко", "Іванівна"))
        self.assertTrue(external.cash_on_delivery)
        self.assertEqual(external.amount_total, 301.0)
        # accepted on Rozetka, and the reservation lowered the other channel's stock
        self.assertEqual(self.sim.orders[placed["id"]]["status"], 26)
        self.assertEqual(self.shown(self.other_sim, self.products[0]), 3)
        self.assertEqual(self.shown(self.sim, self.products[0]), 3)

    def test_quiet_poll_is_one_request(self):
        self.place()
        self.import_orders()
        self.import_orders()  # the accepted status (26) comes back as a change: read once
        self.sim.requests.clear()
        self.import_orders()
        self.assertEqual([(r["method"], r["path"], r["query"].get("pageSize"))
                          for r in self.sim.requests],
                         [("GET", "/orders/search", "1")])

    def test_reimport_changes_nothing(self):
        placed = self.place()
        external = self.import_orders()
        sale = external.sale_order_id
        self.import_orders()
        self.sim.requests.clear()
        self.channel.sudo().order_cursor = False  # from scratch: the last days again
        self.import_orders()
        self.assertEqual(
            self.env["sale.order"].search_count([("omni_external_id", "=", str(placed["id"]))]),
            1)
        self.assertEqual(external.sale_order_id, sale)
        self.assertFalse(self.puts(), "nothing is sent again")
        self.assertFalse(self.pending_jobs("order"))

    def test_status_echo_is_stored_not_mapped_again(self):
        placed = self.place()
        external = self.import_orders()
        self.assertEqual(self.sim.orders[placed["id"]]["status"], 26)
        notes = len(external.message_ids)
        sale_notes = len(external.sale_order_id.message_ids)
        self.channel.action_import_orders_now()
        for job in self.pending_jobs("orders", self.channel):
            self.run_job(job)
        self.assertEqual(external.receive_count, 2, "the accepted order came back")
        self.assertFalse(self.pending_jobs("order:"), "it needs no mapping")
        self.assertEqual(external.state, "imported")
        self.assertEqual(external.remote_status, "26")
        self.assertIn("26", external.raw_payload)
        self.assertEqual(len(external.message_ids), notes, "no note of a change")
        self.assertEqual(len(external.sale_order_id.message_ids), sale_notes)
        # a change made on Rozetka itself still goes through the pipeline
        self.sim.cancel_order_remote(placed["id"])
        self.import_orders()
        self.assertEqual(external.state, "cancelled")
        self.assertEqual(external.sale_order_id.state, "cancel")

    def test_broken_payload_needs_attention_with_raw_body(self):
        order_id = self.sim.inject_raw_order({
            "id": 700001, "status": 1, "status_group": 1, "user_phone": "380671234567",
            "purchases": [{"id": 1, "item_id": 1, "quantity": 1, "price": "n/a",
                           "item": {"price_offer_id": "SKU-0"}}]})
        self.place()
        externals = self.import_orders()
        broken = externals.filtered(lambda o: o.external_id == str(order_id))
        self.assertEqual(broken.state, "needs_attention")
        self.assertIn("n/a", broken.raw_payload)
        self.assertTrue(broken.attention_reason)
        self.assertIn("price", broken.attention_detail)  # Rozetka's field, for the integrator
        self.assertTrue(broken.activity_ids)
        self.assertEqual((externals - broken).state, "imported", "the others go on")

    def test_unknown_item_needs_attention(self):
        self.sim.add_item("NOT-IN-ODOO", quantity=3, price=50)
        self.place([{"sku": "NOT-IN-ODOO", "quantity": 1}])
        external = self.import_orders()
        self.assertEqual(external.state, "needs_attention")
        self.assertIn("NOT-IN-ODOO", external.attention_reason)

    def test_paid_order_registers_the_money(self):
        self.place(payment={"paid": True})
        external = self.import_orders()
        self.assertTrue(external.is_paid)
        self.assertEqual(external.sale_order_id.omni_collected_source, "channel")

    # ---------------------------------------------------------- status back
    def test_validated_delivery_sends_ttn_and_shipped(self):
        placed = self.place()
        external = self.import_orders()
        picking = external.sale_order_id.picking_ids
        picking.carrier_tracking_ref = "20450000000001"
        picking.move_ids.quantity = 1
        picking.button_validate()
        self.run_jobs()
        remote = self.sim.orders[placed["id"]]
        self.assertEqual((remote["status"], remote["ttn"]), (3, "20450000000001"))
        self.assertEqual(external.status_sync_state, "done")
        self.assertEqual(external.last_status_sent, "shipped")

    def test_cancel_in_odoo_with_rozetka_reason(self):
        placed = self.place()
        external = self.import_orders()
        wizard = Form(self.env["omni.order.cancel.wizard"].with_context(
            default_sale_order_id=external.sale_order_id.id))
        self.assertIn(("42", "Out of stock"),
                      wizard._view["fields"]["reason_code"]["selection"])
        wizard.reason_code = "42"
        wizard.comment = "Закінчився на складі"
        wizard.save().action_confirm()
        self.run_jobs()
        remote = self.sim.orders[placed["id"]]
        self.assertEqual(remote["status"], 42)
        self.assertEqual(remote["current_seller_comment"], "Закінчився на складі")
        self.assertEqual(external.status_sync_state, "done")
        self.assertEqual(self.shown(self.other_sim, self.products[0]), 5)

    def test_cancel_without_reason_uses_the_default_or_explains(self):
        placed = self.place()
        external = self.import_orders()
        external.sale_order_id.with_context(disable_cancel_warning=True).action_cancel()
        self.run_jobs()
        self.assertEqual(external.status_sync_state, "error")
        self.assertIn("cancellation reasons", external.status_sync_error)
        self.channel.rozetka_cancel_reason = "18"
        external.action_retry_status()
        self.run_jobs()
        self.assertEqual(external.status_sync_state, "done")
        self.assertEqual(self.sim.orders[placed["id"]]["status"], 18)

    def test_cancelled_on_rozetka_cancels_and_releases(self):
        placed = self.place([{"sku": "SKU-2", "quantity": 2}])
        external = self.import_orders()
        self.assertEqual(self.shown(self.other_sim, self.products[2]), 3)
        self.sim.cancel_order_remote(placed["id"])
        self.sim.requests.clear()
        self.import_orders()
        self.assertEqual(external.state, "cancelled")
        self.assertEqual(external.sale_order_id.state, "cancel")
        self.assertEqual(self.shown(self.other_sim, self.products[2]), 5)
        self.assertFalse(self.puts(), "Rozetka cancelled it: nothing to send back")

    def test_forbidden_transition_gives_a_plain_message(self):
        placed = self.place()
        external = self.import_orders()
        self.sim.cancel_order_remote(placed["id"])  # not imported yet
        picking = external.sale_order_id.picking_ids
        picking.carrier_tracking_ref = "20450000000003"
        picking.move_ids.quantity = 1
        picking.button_validate()
        self.run_jobs()
        self.assertEqual(external.status_sync_state, "error")
        self.assertIn("closed on Rozetka", external.status_sync_error)
        self.assertRegex(external.status_sync_error,
                         "Cancelled by the buyer|Скасовано покупцем")
        self.assertFalse([r for r in self.puts() if r["path"].endswith(str(placed["id"]))
                          and '"status": 3' in r["body"]])

    def test_delivery_changed_on_rozetka_is_reconciled(self):
        placed = self.place()
        external = self.import_orders()
        order = self.sim.orders[placed["id"]]
        order["delivery"]["place_number"] = "25"
        order["delivery"]["ref_id"] = "11111111-2222-3333-4444-555555555555"
        order["ttn"] = ""
        order["changed"] = "2099-01-01 00:00:00"
        order["status_group"] = 1
        self.import_orders()
        self.assertEqual(external.delivery_warehouse_number, "25")
        self.assertEqual(external.delivery_warehouse_ref, "11111111-2222-3333-4444-555555555555")
        self.assertIn("Delivery changed on Rozetka",
                      external.sale_order_id.message_ids[:3].mapped("body")[0]
                      + "".join(external.sale_order_id.message_ids.mapped("body")))

    # ----------------------------------------------------- stock and prices
    def test_stock_goes_to_rozetka_by_item_id(self):
        binding = self.binding(self.channel, self.products[0])
        self.assertEqual(binding.external_id, str(self.sim.item("SKU-0")["rz_item_id"]))
        self.set_stock(self.products[0], 9)
        self.run_jobs()
        self.assertEqual(self.sim.item("SKU-0")["stock_quantity"], 9)

    def test_updates_respect_the_batch_limit(self):
        self.channel.rozetka_batch_limit = 2
        for product in self.products:
            self.set_stock(product, 7)
        self.sim.requests.clear()
        self.run_jobs()
        updates = [r for r in self.sim.requests if r["path"] == "/items/mass-update"]
        self.assertEqual(len(updates), 2)  # 3 items, 2 per update
        self.assertEqual([self.shown(self.sim, p) for p in self.products], [7, 7, 7])

    def test_price_jump_is_held_on_the_binding(self):
        self.products[1].list_price = 1000.0  # ten times the current price
        self.run_jobs()
        binding = self.binding(self.channel, self.products[1])
        self.assertEqual(self.sim.item("SKU-1")["price"], 101, "held by Rozetka")
        self.assertEqual(binding.sync_state, "ok")
        self.assertIn("1,5", binding.last_error)
        self.products[2].list_price = 120.4
        self.run_jobs()
        self.assertEqual(self.sim.item("SKU-2")["price"], 120)  # whole hryvnias

    def test_crossed_out_price_from_a_pricelist(self):
        old = self.env["product.pricelist"].create({
            "name": "Old prices", "currency_id": self.env.company.currency_id.id,
            "item_ids": [(0, 0, {"compute_price": "percentage", "percent_price": -30,
                                 "applied_on": "3_global"})]})
        self.channel.rozetka_old_pricelist_id = old
        self.products[0].list_price = 110.0
        self.run_jobs()
        item = self.sim.item("SKU-0")
        self.assertEqual((item["price"], item["price_old"]), (110, 143))

    def test_match_offers_by_barcode_and_feed_flag(self):
        product = self.env["product.product"].create({
            "name": "Плед", "default_code": "PLAID-ODOO", "barcode": "4820000000123",
            "is_storable": True})
        self.sim.add_item("FEED-77", "Плед", quantity=4, price=300, barcode="4820000000123",
                          managed_by="feed")
        wizard = self.env["omni.binding.wizard"].create(
            {"channel_id": self.channel.id, "mode": "match", "match_by": "barcode"})
        wizard.action_run()
        self.run_jobs()
        binding = self.binding(self.channel, product)
        self.assertEqual(binding.external_id, str(self.sim.item("FEED-77")["rz_item_id"]))
        self.assertTrue(binding.rozetka_managed_by_feed)
        self.assertGreaterEqual(wizard.matched_count, 1)

    # ------------------------------------------------------------ connection
    def test_connection_shows_the_shop_and_keeps_secrets_out_of_the_log(self):
        action = self.channel.action_test_connection()
        self.assertEqual(action["params"]["message"], "Затишна Оселя")
        events = self.env["omni.sync.event"].search([("channel_id", "=", self.channel.id)])
        text = "".join(events.mapped(lambda e: f"{e.request_body}{e.response_body}"))
        self.assertNotIn(self.sim.password, text)
        token = self.env["omni.channel.token"].sudo().search(
            [("backend_model", "=", "omni.channel"), ("backend_id", "=", self.channel.id)])
        self.assertTrue(token.token)
        self.assertNotIn(token.token, text)

    def test_expired_session_is_renewed_and_kept_for_every_job(self):
        Token = self.env["omni.channel.token"].sudo()
        domain = [("backend_model", "=", "omni.channel"), ("backend_id", "=", self.channel.id)]
        first = Token.search(domain).token
        self.assertTrue(first, "the setUp push signed in and kept the session")
        logins = self.sim.logins
        self.sim.expire_tokens()
        self.place()
        external = self.import_orders()
        self.assertEqual(external.state, "imported")
        self.assertEqual(self.sim.logins, logins + 1, "signed in once more, not per call")
        Token.invalidate_model()
        self.assertNotEqual(Token.search(domain).token, first)
