"""The scheduled work: a receipt still being fiscalised, the shift closed by the cron."""

import datetime as dt
import time

from odoo import fields
from odoo.tests import tagged

from .common import CheckboxCase


@tagged("post_install", "-at_install")
class TestScheduledWork(CheckboxCase):
    def slow_tax_service(self, delay=0.6):
        """Checkbox fiscalises in ``delay`` s, the send job waits only 0.05 s."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("omni_fiscal_checkbox.poll_timeout", "0.05")
        params.set_param("omni_fiscal_checkbox.poll_later", "1")
        old = self.cbx.receipt_delay
        self.cbx.receipt_delay = delay
        self.addCleanup(setattr, self.cbx, "receipt_delay", old)
        return delay

    def poll_jobs(self):
        return self.fiscal_jobs().filtered(lambda j: j.method_name == "_omni_poll")

    def sent_receipt(self):
        self.cbx.open_shift_now()
        order = self.order()
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        receipt = order.omni_fiscal_receipt_ids
        self.assertEqual(receipt.state, "sent", "still CREATED after the wait")
        self.assertFalse(receipt.fiscal_code)
        poll = self.poll_jobs()
        self.assertEqual(len(poll), 1, "a status check is scheduled")
        self.assertGreater(poll.eta, fields.Datetime.now() - dt.timedelta(seconds=1))
        self.assertEqual(self.run_fiscal_jobs(), 0, "not before its time")
        return order, receipt

    def test_receipt_still_created_is_polled_later_until_done(self):
        delay = self.slow_tax_service()
        order, receipt = self.sent_receipt()
        self.assertEqual(order.omni_fiscal_state, "pending")
        time.sleep(delay)
        self.run_fiscal_jobs(include_later=True)
        self.assertEqual(receipt.state, "done")
        self.assertTrue(receipt.fiscal_code.startswith("TEST-"))
        self.assertTrue(receipt.pdf_attachment_id)
        self.assertEqual(order.omni_fiscal_state, "done")
        self.assertEqual(len(self.sells()), 1, "checked, never sent twice")
        self.assertFalse(self.poll_jobs())

    def test_receipt_still_created_is_polled_later_until_error(self):
        delay = self.slow_tax_service()
        self.cbx.fail_next_receipts("Помилка ДПС: касир не має права підпису")
        order, receipt = self.sent_receipt()
        time.sleep(delay)
        self.run_fiscal_jobs(include_later=True)
        self.assertEqual(receipt.state, "error")
        self.assertIn("касир не має права підпису", receipt.error_message)
        self.assertTrue(receipt.remote_error)
        self.assertFalse(receipt.fiscal_code)
        self.assertTrue(order.activity_ids, "the responsible is told")

    def test_cron_closes_the_open_shift_at_its_time_with_the_z_report(self):
        order = self.order()
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        shift = self.register.current_shift_id
        self.assertEqual(shift.state, "opened")
        Register = self.env["omni.checkbox.register"]
        self.register.user_id.tz = "UTC"
        now = fields.Datetime.now()
        shift.opened_at = now - dt.timedelta(hours=2)
        ahead = now + dt.timedelta(hours=1)
        self.register.close_time = ahead.hour + ahead.minute / 60
        Register._cron_close_shifts()
        self.assertFalse(self.fiscal_jobs(), "not due yet: nothing queued")
        past = now - dt.timedelta(minutes=2)
        self.register.close_time = past.hour + past.minute / 60
        Register._cron_close_shifts()
        Register._cron_close_shifts()  # the next run before the job: still one job
        jobs = self.fiscal_jobs()
        self.assertEqual(jobs.mapped("method_name"), ["_omni_close_shift"])
        self.run_fiscal_jobs()
        self.assertEqual(shift.state, "closed")
        self.assertFalse(self.register.current_shift_id)
        self.assertTrue(shift.z_fiscal_code)
        self.assertAlmostEqual(shift.z_sales, order.amount_total)
        self.assertEqual(shift.z_sell_count, 1)
        self.assertIn("Z-ЗВІТ", shift.z_report_text)
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", self.register._name), ("res_id", "=", self.register.id),
             ("name", "=like", "Z-%")]
        )
        self.assertEqual(len(attachment), 1, "the printed Z-report is kept")
        # closed: the next runs close nothing more
        Register._cron_close_shifts()
        self.assertFalse(self.fiscal_jobs())
        self.assertEqual(len([r for r in self.cbx.requests
                              if r["path"] == "/api/v1/shifts/close"]), 1)

    def test_x_report_and_offline_mode_from_the_register(self):
        self.cbx.open_shift_now()
        self.register._omni_check()
        self.register.action_x_report()
        self.assertFalse([r for r in self.cbx.requests if r["path"] == "/api/v1/reports"],
                         "queued, not called in the user's transaction")
        self.run_fiscal_jobs()
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", self.register._name), ("res_id", "=", self.register.id),
             ("name", "=like", "X-%")]
        )
        self.assertEqual(len(attachment), 1)
        self.assertIn("X-ЗВІТ", attachment.raw.decode())
        self.assertEqual(self.register.current_shift_id.state, "opened", "the shift stays open")
        self.register.action_go_offline()
        self.run_fiscal_jobs()
        self.assertTrue(self.register.offline_mode)
        order = self.order()
        order._omni_register_collected(order.amount_total, None, "cod")
        self.run_fiscal_jobs()
        self.assertTrue(order.omni_fiscal_receipt_ids.fiscal_code.startswith("TEST-OFF"))
        self.register.action_go_online()
        self.run_fiscal_jobs()
        self.assertFalse(self.register.offline_mode)
        self.assertTrue(all(r["is_sent_dps"] for r in self.cbx.receipts_by_status("DONE")))
