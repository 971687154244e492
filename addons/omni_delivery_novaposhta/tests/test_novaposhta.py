from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NovaPoshtaCase


@tagged("post_install", "-at_install")
class TestNovaPoshta(NovaPoshtaCase):
    def test_directory_loaded_and_searchable(self):
        Warehouse = self.env["omni.np.warehouse"]
        self.assertEqual(Warehouse.search_count([]), 300)
        self.assertEqual(self.env["omni.np.city"].search_count([]), 25)
        self.assertEqual(self.account.sync_state, "done")
        found = Warehouse.name_search("Відділення", args=[("city_id", "=", self.lviv.id)])
        self.assertTrue(found)
        self.assertTrue(all(Warehouse.browse(i).city_id == self.lviv for i, _n in found))
        self.assertTrue(self.locker.place_max_weight == 20 and self.locker.max_length == 60)

    def test_directory_reload_deactivates_what_disappeared(self):
        gone = self.env["omni.np.warehouse"].create(
            {"name": "Відділення №999", "ref": "gone-ref", "number": "999"})
        self.account._omni_np_sync_directory()
        self.assertFalse(gone.active)
        self.assertEqual(self.env["omni.np.warehouse"].search_count([]), 300)

    def test_validation_creates_ttn_with_cod_and_label(self):
        picking = self.make_picking(qty=2)
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        number = picking.carrier_tracking_ref
        self.assertEqual(len(number), 14)
        document = self.sim.documents[number]
        self.assertEqual(document["props"]["AfterpaymentOnGoodsCost"], "2400")
        self.assertEqual(document["props"]["RecipientsPhone"], "380671234567")
        self.assertTrue(picking.np_label_id.raw.startswith(b"%PDF"))
        self.assertGreater(picking.carrier_price, 0)
        self.assertEqual(picking.np_state, "created")
        self.assertEqual(picking.delivery_state, "shipping_recorded_in_carrier")
        self.assertEqual(self.carrier._omni_carrier_code(), "nova_poshta")
        self.assertIn(number, self.carrier.get_tracking_link(picking))
        mails = self.env["mail.message"].search(
            [("model", "=", "stock.picking"), ("res_id", "=", picking.id),
             ("body", "ilike", number), ("subject", "ilike", "Новою Поштою")])
        self.assertTrue(mails, "the buyer gets the TTN by e-mail")

    def test_paid_order_has_no_cod(self):
        order = self.make_order()
        order.write({"omni_collected_source": "payment"})
        picking = order.picking_ids
        picking._compute_np_cod_amount()
        self.assertEqual(picking.np_cod_amount, 0)
        picking.action_omni_np_create_ttn()
        props = self.sim.documents[picking.carrier_tracking_ref]["props"]
        self.assertNotIn("AfterpaymentOnGoodsCost", props)

    def test_bad_phone_gives_clear_error_and_no_ttn(self):
        picking = self.make_picking(phone="12345")
        with self.assertRaisesRegex(UserError, "phone \"12345\" is not a Ukrainian number"):
            picking.button_validate()
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertNotEqual(picking.state, "done")
        self.assertFalse(self.sim.documents)

    def test_locker_limits_checked_before_the_call(self):
        picking = self.make_picking(qty=20, warehouse=self.locker)  # 26 kg
        with self.assertRaisesRegex(UserError, "parcel locker"):
            picking.action_omni_np_create_ttn()
        self.assertFalse(self.sim.documents)

    def test_np_refusal_in_plain_words(self):
        self.sim.options["CanAfterpaymentOnGoodsCost"] = False  # no COD at all for the sender
        picking = self.make_picking()
        with self.assertRaisesRegex(UserError, "Nova Poshta refused the data: Післяплата"):
            picking.button_validate()
        self.assertNotEqual(picking.state, "done")

    def test_ttn_before_packing_then_validation_reuses_it(self):
        picking = self.make_picking()
        picking.action_omni_np_create_ttn()
        number = picking.carrier_tracking_ref
        self.assertTrue(number and picking.state != "done")
        picking.button_validate()
        self.assertEqual(picking.carrier_tracking_ref, number)
        self.assertEqual(len(self.sim.documents), 1)

    def test_barcode_path_validation_creates_ttn(self):
        picking = self.make_picking()
        picking._action_done()
        self.assertEqual(picking.state, "done")
        self.assertIn(picking.carrier_tracking_ref, self.sim.documents)

    def test_batch_ttn_for_20_pickings(self):
        pickings = self.env["stock.picking"]
        for _i in range(20):
            pickings |= self.make_picking()
        pickings.with_context(omni_np_in_jobs=True).action_omni_np_create_ttn()
        self.assertEqual(set(pickings.mapped("np_ttn_state")), {"queued"})
        self.assertEqual(self.run_np_jobs(), 20)
        self.assertEqual(set(pickings.mapped("np_ttn_state")), {"done"})
        self.assertEqual(len(self.sim.documents), 20)
        self.assertTrue(all(pickings.mapped("np_label_id")))
        action = pickings.action_omni_np_print_labels()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3][:-14]))
        self.assertTrue(attachment.raw.startswith(b"%PDF"))

    def test_batch_job_failure_stays_on_the_picking(self):
        good, bad = self.make_picking(), self.make_picking(phone="000")
        (good | bad).with_context(omni_np_in_jobs=True).action_omni_np_create_ttn()
        self.run_np_jobs()
        self.assertEqual(good.np_ttn_state, "done")
        self.assertEqual(bad.np_ttn_state, "failed")
        self.assertIn("phone", bad.np_error)

    def test_cancel_deletes_the_waybill(self):
        picking = self.make_picking()
        picking.button_validate()
        number = picking.carrier_tracking_ref
        picking.cancel_shipment()
        self.assertEqual(self.sim.documents[number]["StateId"], "2")
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertEqual(picking.np_state, "cancelled")

    def test_cancel_refused_after_handover(self):
        picking = self.make_picking()
        picking.button_validate()
        self.sim.advance(picking.carrier_tracking_ref, 1)
        with self.assertRaisesRegex(UserError, "Nova Poshta refused"):
            picking.cancel_shipment()

    def test_tracking_moves_state_collects_cod_and_marks_refusal(self):
        delivered, refused = self.make_picking(), self.make_picking()
        (delivered | refused).button_validate()
        self.sim.advance(delivered.carrier_tracking_ref, 4)
        self.sim.advance(refused.carrier_tracking_ref, 3, script="refused")
        self.account._cron_track()
        self.run_np_jobs()
        self.assertEqual(delivered.np_state, "at_branch")
        self.assertEqual(refused.np_state, "in_transit")
        self.sim.advance(delivered.carrier_tracking_ref, 1)
        self.sim.advance(refused.carrier_tracking_ref, 2)
        self.account._omni_np_track()
        self.assertEqual(delivered.np_state, "received")
        self.assertEqual(delivered.delivery_state, "customer_delivered")
        self.assertTrue(delivered.np_tracking_done)
        self.assertEqual(delivered.np_cod_collected, 1200)
        self.assertEqual(delivered.sale_id.omni_collected_source, "cod")
        self.assertEqual(delivered.sale_id.omni_collected_amount, 1200)
        self.assertEqual(refused.np_state, "refused")
        self.assertEqual(refused.delivery_state, "incident")
        self.assertEqual(self.partner.omni_refused_count, 1)
        self.sim.advance(refused.carrier_tracking_ref, 5)
        self.account._omni_np_track()
        self.assertEqual(refused.np_state, "returned")
        self.assertTrue(refused.np_tracking_done)
        self.assertEqual(self.partner.omni_refused_count, 1, "counted once")

    def test_waybill_unknown_to_np_keeps_state_and_is_flagged(self):
        picking = self.make_picking()
        picking.button_validate()
        self.sim.documents.clear()
        picking.tracking_state_update()  # delivery_state's hook, batched by us
        self.assertEqual(picking.np_state, "created")
        self.assertTrue(picking.np_tracking_flag)

    def test_marketplace_order_fills_recipient(self):
        channel = self.env["omni.channel"].create(
            {"name": "Market", "channel_type": "generic", "api_url": "http://127.0.0.1:9"})
        Order = self.env["omni.external.order"]
        by_ref = Order.create({
            "channel_id": channel.id, "external_id": "A-1", "delivery_service": "nova_poshta",
            "delivery_warehouse_ref": self.branch.ref, "recipient_name": "Коваль Марія Іванівна",
            "recipient_phone": "067 123 45 67"})
        vals = by_ref._omni_prepare_delivery_vals(self.partner)
        self.assertEqual(vals["np_warehouse_id"], self.branch.id)
        self.assertEqual(vals["np_city_id"], self.lviv.id)
        self.assertEqual((vals["np_last_name"], vals["np_first_name"], vals["np_middle_name"]),
                         ("Коваль", "Марія", "Іванівна"))
        self.assertEqual(vals["np_phone"], "+380671234567")
        self.assertEqual(vals["carrier_id"], self.carrier.id)
        self.assertFalse(vals["np_attention"])
        by_number = Order.create({
            "channel_id": channel.id, "external_id": "A-2", "delivery_service": "nova_poshta",
            "delivery_city": "Львів", "delivery_warehouse": f"Відділення №{self.branch.number}",
            "recipient_name": "Коваль Марія", "recipient_phone": "+380671234567"})
        vals = by_number._omni_prepare_delivery_vals(self.partner)
        self.assertEqual(vals["np_warehouse_id"], self.branch.id)
        unknown = Order.create({
            "channel_id": channel.id, "external_id": "A-3", "delivery_service": "nova_poshta",
            "delivery_city": "Атлантида", "delivery_warehouse": "Відділення №1",
            "recipient_name": "Коваль Марія", "recipient_phone": "+380671234567"})
        vals = unknown._omni_prepare_delivery_vals(self.partner)
        self.assertTrue(vals["np_attention"])
        self.assertIn("Атлантида", vals["np_attention_reason"])

    def test_scan_sheet_for_the_courier(self):
        pickings = self.make_picking() | self.make_picking()
        pickings.button_validate()
        action = pickings.action_omni_np_scan_sheet()
        self.assertIn("/web/content/", action["url"])
        self.assertTrue(all(pickings.mapped("np_scan_sheet")))
        self.assertEqual(len(self.sim.scan_sheets), 1)

    def test_rate_shipment_from_the_order(self):
        order = self.make_order()
        self.account.sender_city_id = self.kyiv
        result = self.carrier.rate_shipment(order)
        self.assertTrue(result["success"], result)
        self.assertGreater(result["price"], 0)

    def picking_messages(self, picking):
        return self.env["mail.message"].search_count(
            [("model", "=", "stock.picking"), ("res_id", "=", picking.id)])

    def test_refresh_without_change_posts_nothing(self):
        picking = self.make_picking()
        picking.button_validate()
        self.sim.advance(picking.carrier_tracking_ref, 1)
        self.account._omni_np_track()
        self.assertEqual(picking.np_state, "in_transit")
        note = self.env["mail.message"].search(
            [("model", "=", "stock.picking"), ("res_id", "=", picking.id),
             ("body", "ilike", "Nova Poshta: ")])
        self.assertEqual(len(note), 1, "the change is told once in the chatter")
        messages, history = self.picking_messages(picking), picking.tracking_state_history
        checked = picking.np_status_date
        self.account._omni_np_track()
        self.assertEqual(self.picking_messages(picking), messages)
        self.assertEqual(picking.tracking_state_history, history)
        self.assertEqual(picking.np_state, "in_transit")
        self.assertGreaterEqual(picking.np_status_date, checked)

    def test_failed_refusal_event_keeps_state_and_is_retried(self):
        picking = self.make_picking()
        picking.button_validate()
        self.sim.advance(picking.carrier_tracking_ref, 3, script="refused")
        self.sim.advance(picking.carrier_tracking_ref, 2)
        SaleOrder = type(self.env["sale.order"])
        with patch.object(SaleOrder, "_omni_parcel_refused", side_effect=ValueError("boom")):
            self.account._omni_np_track()
        self.assertEqual(picking.np_state, "refused")
        self.assertFalse(picking.np_refused)
        self.assertIn("boom", picking.np_tracking_flag)
        self.account._omni_np_track()
        self.assertTrue(picking.np_refused)
        self.assertFalse(picking.np_tracking_flag)
        self.assertEqual(self.partner.omni_refused_count, 1)

    def test_missing_labels_fetched_in_one_request(self):
        pickings = self.make_picking() | self.make_picking() | self.make_picking()
        pickings.button_validate()
        pickings[1:].np_label_id.unlink()
        self.sim.requests.clear()
        action = pickings.action_omni_np_print_labels()
        prints = [r for r in self.sim.requests if r["path"].startswith("/orders/")]
        self.assertEqual(len(prints), 1)
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3][:-14]))
        for picking in pickings:
            self.assertIn(picking.carrier_tracking_ref.encode(), attachment.raw)

    def test_sender_contact_chosen_goes_on_the_waybill(self):
        self.assertEqual(len(self.account.contact_ids), 1)
        self.assertEqual(self.account.contact_id, self.account.contact_ids)
        self.sim.sender_contacts.append({
            "Ref": "second-contact", "Description": "Шевченко Тарас Григорович",
            "Phones": "380672223344", "Email": "", "FirstName": "Тарас",
            "LastName": "Шевченко", "MiddleName": "Григорович"})
        first = self.account.contact_id
        self.account.action_load_sender()
        self.assertEqual(len(self.account.contact_ids), 2)
        self.assertEqual(self.account.contact_id, first, "the chosen contact is kept")
        second = self.account.contact_ids - first
        self.account.contact_id = second
        self.assertEqual((self.account.contact_ref, self.account.sender_phone),
                         ("second-contact", "380672223344"))
        picking = self.make_picking()
        picking.action_omni_np_create_ttn()
        props = self.sim.documents[picking.carrier_tracking_ref]["props"]
        self.assertEqual(props["ContactSender"], "second-contact")
        self.assertEqual(props["SendersPhone"], "380672223344")
        self.sim.sender_contacts.pop()  # no longer listed by Nova Poshta
        self.account.action_load_sender()
        self.assertFalse(second.active)
        self.assertEqual(self.account.contact_id, first)
