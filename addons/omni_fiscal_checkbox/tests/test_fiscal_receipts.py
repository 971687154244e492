"""Receipts issued by policy, through jobs, against the Checkbox simulator."""

import datetime as dt

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .common import CheckboxCase


@tagged("post_install", "-at_install")
class TestFiscalReceipts(CheckboxCase):
    def test_confirmed_card_payment_gives_one_receipt(self):
        card = self.env["account.journal"].create(
            {"name": "Card acquirer", "code": "CARD", "type": "bank"}
        )
        self.env.ref("omni_fiscal_checkbox.omni_fiscal_policy_online").journal_ids = card
        order = self.order()
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertFalse(order.omni_fiscal_receipt_ids, "nothing before the money")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": card.id})._create_payments()
        receipt = order.omni_fiscal_receipt_ids
        self.assertEqual(len(receipt), 1)
        self.assertEqual((receipt.state, receipt.trigger), ("draft", "payment"))
        self.assertFalse(self.cbx.requests, "no call in the user's transaction")
        self.run_fiscal_jobs()
        self.assertEqual(receipt.state, "done")
        self.assertTrue(receipt.fiscal_code.startswith("TEST-"))
        self.assertEqual(receipt.invoice_id, invoice)
        self.assertTrue(receipt.payment_id)
        self.assertTrue(receipt.pdf_attachment_id.raw.startswith(b"%PDF"))
        self.assertTrue(receipt.receipt_url.endswith(receipt.uuid))
        (body,) = self.sells()
        self.assertEqual(body["id"], receipt.uuid)
        first, second = body["goods"]
        self.assertEqual((first["good"]["price"], first["quantity"]), (19999, 2000))
        self.assertEqual(first["discounts"][0]["value"], 4000, "10 % off 399.98 = 359.98")
        self.assertEqual(first["good"]["tax"], [1])
        self.assertEqual((second["good"]["price"], second["quantity"]), (10100, 1000))
        self.assertEqual(body["payments"],
                         [{"type": "CASHLESS", "value": 46098, "label": "Картка"}])
        self.assertEqual(round(order.amount_total * 100), 46098, "to the kopeck")
        self.assertEqual(body["delivery"], {"email": "buyer@example.com",
                                            "phone": "380671234567"})
        # the same money reported again by another source: still one receipt
        order._omni_register_collected(order.amount_total, None, "channel")
        order.action_omni_issue_receipt()
        self.run_fiscal_jobs()
        self.assertEqual(len(order.omni_fiscal_receipt_ids), 1)
        self.assertEqual(len(self.sells()), 1)
        self.assertEqual(order.omni_fiscal_state, "done")
        self.assertEqual(invoice.omni_fiscal_receipt_count, 1)

    def test_card_payment_in_odoo_gets_its_journals_acquiring_fee(self):
        """The paid invoice reports the money collected with its payment journal, so an
        acquiring rule of that journal sets the order's fee."""
        card = self.env["account.journal"].create(
            {"name": "Card acquirer", "code": "CRD2", "type": "bank"})
        bank = self.env["account.journal"].create(
            {"name": "Other bank", "code": "OBNK", "type": "bank"})
        Rule = self.env["omni.acquiring.rule"]
        Rule.create({"name": "Other bank", "source": "payment", "journal_id": bank.id,
                     "percent": 5.0, "sequence": 1})
        Rule.create({"name": "Card", "source": "payment", "journal_id": card.id,
                     "percent": 1.5, "fixed_fee": 2.0, "sequence": 2})
        order = self.order()
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": card.id})._create_payments()
        self.assertEqual(order.omni_collected_source, "payment")
        expected = round(order.amount_total * 0.015 + 2.0, 2)
        self.assertAlmostEqual(order.omni_acquiring_fee, expected, places=2)

    def test_marketplace_paid_status_gives_a_receipt(self):
        order = self.order(channel=self.channels)
        order._omni_register_collected(order.amount_total, None, "channel")
        self.run_fiscal_jobs()
        self.assertEqual(order.omni_fiscal_receipt_ids.state, "done")

    def test_bank_transfer_gives_no_receipt(self):
        order = self.order()
        invoice = order._create_invoices()
        invoice.action_post()
        bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": bank.id})._create_payments()
        self.assertEqual(order.omni_collected_source, "payment")
        self.assertFalse(order.omni_fiscal_receipt_ids, "bank transfer: none by default")

    def test_invoice_paid_from_collected_cash_is_not_more_money(self):
        order = self.order()
        order._omni_register_collected(order.amount_total, None, "cod")
        invoice = order._create_invoices()
        invoice.action_post()
        cash = self.env["account.journal"].search(
            [("type", "=", "cash"), ("company_id", "=", self.env.company.id)], limit=1
        )
        if invoice.payment_state != "paid":
            # (where the books addon is installed it has already paid the invoice
            # from the collected cash, the same case booked for the accountant)
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"journal_id": cash.id})._create_payments()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(order.omni_collected_source, "cod", "the cash on delivery booked")
        self.run_fiscal_jobs()
        self.assertEqual(order.omni_fiscal_receipt_ids.mapped("trigger"), ["cod"])

    def test_cod_collected_gives_a_receipt_and_refusal_a_linked_return(self):
        order = self.order()
        self.assertFalse(order.omni_fiscal_receipt_ids)
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        sell = order.omni_fiscal_receipt_ids
        self.assertEqual((sell.state, sell.trigger), ("done", "cod"))
        picking = order.picking_ids[:1]
        order._omni_parcel_refused(picking)
        order._omni_parcel_refused(picking)  # reported twice: one return
        self.run_fiscal_jobs()
        ret = order.omni_fiscal_receipt_ids - sell
        self.assertEqual(len(ret), 1)
        self.assertEqual((ret.receipt_type, ret.state), ("return", "done"))
        self.assertEqual(ret.related_receipt_id, sell)
        self.assertEqual(ret.picking_id, picking)
        body = self.sells()[-1]
        self.assertEqual(body["related_receipt_id"], sell.uuid)
        self.assertTrue(all(item["is_return"] for item in body["goods"]))
        self.assertEqual(body["payments"][0]["value"], round(sell.amount_total * 100))
        self.assertEqual(self.cbx.receipts_by_status("DONE")[-1]["type"], "RETURN")

    def test_error_keeps_the_reason_and_retry_issues_it(self):
        order = self.order()
        self.cbx.fail_next_receipts("Помилка ДПС: невірний підпис касира")
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        receipt = order.omni_fiscal_receipt_ids
        self.assertEqual(receipt.state, "error")
        self.assertIn("невірний підпис касира", receipt.error_message)
        self.assertFalse(receipt.fiscal_code, "done only with a fiscal code")
        self.assertEqual(order.omni_fiscal_state, "error")
        self.assertTrue(order.activity_ids, "the responsible is told")
        failed_id = receipt.uuid
        order.action_omni_retry_receipts()
        self.run_fiscal_jobs()
        self.assertEqual(receipt.state, "done")
        self.assertNotEqual(receipt.uuid, failed_id,
                            "Checkbox holds the failed id in ERROR: a new id is sent")
        self.assertEqual(len(self.cbx.receipts_by_status("DONE")), 1)

    def test_refusal_before_sending_names_the_missing_tax_code(self):
        self.register.tax_map_ids.unlink()
        order = self.order()
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        receipt = order.omni_fiscal_receipt_ids
        self.assertEqual(receipt.state, "error")
        self.assertIn("no Checkbox tax code", receipt.error_message)
        self.assertFalse(self.sells(), "nothing sent")
        uuid_before = receipt.uuid
        self.register.tax_map_ids = [(0, 0, {"tax_id": self.vat20.id, "code": "1"})]
        receipt.action_retry()
        self.run_fiscal_jobs()
        self.assertEqual((receipt.state, receipt.uuid), ("done", uuid_before))

    def test_timeout_after_creation_gives_one_receipt(self):
        self.cbx.open_shift_now()
        order = self.order()
        self.cbx.faults.add("timeout", path="/api/v1/receipts/sell", after=True, seconds=3)
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        receipt = order.omni_fiscal_receipt_ids
        self.assertEqual(receipt.state, "done", "the lost answer is found by its id")
        self.assertEqual(len(self.cbx.receipts_by_status()), 1)

    def test_timeout_before_creation_is_retried_with_the_same_id(self):
        self.cbx.open_shift_now()
        order = self.order()
        self.cbx.faults.add("timeout", path="/api/v1/receipts/sell", seconds=3)
        order._omni_register_collected(order.amount_total, None, "cod")
        receipt = order.omni_fiscal_receipt_ids
        try:  # not assertRaises: its savepoint would undo the note written "outside"
            receipt._omni_send()
        except RetryableJobError:
            pass
        else:
            self.fail("a timeout before creation is retried")
        self.assertIn("cannot be reached", receipt.error_message, "the failure is visible")
        self.assertFalse(self.cbx.receipts_by_status())
        receipt._omni_send()  # the job's retry
        self.assertEqual(receipt.state, "done")
        (sent,) = self.cbx.receipts_by_status()
        self.assertEqual(sent["id"], receipt.uuid)

    def test_shift_opens_on_demand_and_closes_with_a_z_report(self):
        order = self.order()
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        paths = [r["path"] for r in self.cbx.requests if r["method"] == "POST"]
        self.assertIn("/api/v1/shifts", paths, "opened when Checkbox said none was open")
        shift = self.register.current_shift_id
        self.assertEqual(shift.state, "opened")
        self.assertEqual(order.omni_fiscal_receipt_ids.shift_id, shift)
        self.assertEqual(self.register.today_sales, order.amount_total)
        # closing time: due once the configured time has passed since opening
        self.register.close_time = 23.0
        self.register.user_id.tz = "UTC"
        shift.opened_at = dt.datetime(2025, 3, 1, 9, 0)
        self.assertFalse(self.register._omni_close_due(dt.datetime(2025, 3, 1, 22, 59)))
        self.assertTrue(self.register._omni_close_due(dt.datetime(2025, 3, 1, 23, 5)))
        self.register.action_close_shift()
        self.run_fiscal_jobs()
        self.assertEqual(shift.state, "closed")
        self.assertFalse(self.register.current_shift_id)
        self.assertAlmostEqual(shift.z_sales, order.amount_total)
        self.assertEqual(shift.z_sell_count, 1)
        self.assertIn("Z-ЗВІТ", shift.z_report_text)

    def test_cashier_key_expiry_is_warned_days_ahead(self):
        self.register.key_warning_days = 300  # the simulator's key ends in 200 days
        self.register.action_check()
        self.run_fiscal_jobs()
        self.assertTrue(self.register.key_expiry_date)
        self.assertTrue(self.register.key_expiring)
        self.assertEqual(len(self.register.activity_ids), 1)
        self.register._omni_check()
        self.assertEqual(len(self.register.activity_ids), 1, "warned once")
        self.assertGreater(self.register.key_expiry_date, fields.Date.today())
