from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AnalyticsCase


@tagged("post_install", "-at_install")
class TestRepurchase(AnalyticsCase):
    def test_reminders_go_to_exactly_the_customers_due_once(self):
        self.p2.product_tmpl_id.omni_repurchase = True
        now = fields.Datetime.now()
        Partner = self.env["res.partner"]
        due_own = Partner.create({"name": "Анна", "email": "anna@example.com"})
        not_yet = Partner.create({"name": "Богдан", "email": "bohdan@example.com"})
        due_typical = Partner.create({"name": "Віра", "email": "vira@example.com"})
        other_product = Partner.create({"name": "Галина", "email": "halyna@example.com"})

        def buy(partner, days_ago, product=self.p2):
            return self.order(partner, [(product, 1, 99.99)], self.prom,
                              date=now - timedelta(days=days_ago))

        buy(due_own, 61)
        buy(due_own, 31)          # her interval: 30 days, last 31 days ago: due
        buy(not_yet, 20)
        buy(not_yet, 4)           # his interval: 16 days, last 4 days ago: not due
        buy(due_typical, 25)      # once: the product's typical interval, median(30, 16) = 23
        buy(other_product, 90, self.p1)  # not marked for reminders
        Reminder = self.env["omni.repurchase.reminder"]
        Mail = self.env["mail.mail"]
        sent = Reminder._cron_omni_repurchase()
        self.assertEqual(self.p2.product_tmpl_id.omni_repurchase_days, 23.0)
        self.assertEqual(sent.partner_id, due_own | due_typical)
        self.assertEqual(sorted(sent.mapped("interval_days")), [23.0, 30.0])
        mails = Mail.search([("model", "=", "omni.repurchase.reminder"),
                             ("res_id", "in", sent.ids)])
        self.assertEqual(len(mails), 2)
        self.assertIn("Час поповнити запас", mails[0].subject)
        self.assertEqual(set(mails.mapped("email_to")),
                         {due_own.email_formatted, due_typical.email_formatted})
        # the next day's run sends nothing again
        self.assertFalse(Reminder._cron_omni_repurchase())
        self.assertEqual(Mail.search_count([("model", "=", "omni.repurchase.reminder")]), 2)
        # Anna buys again: that purchase will be reminded in its turn, not the old one
        buy(due_own, 0)
        self.assertFalse(Reminder._cron_omni_repurchase())
        self.assertEqual(Reminder.search_count([("partner_id", "=", due_own.id)]), 1)

    def test_the_scheduled_action_is_off_by_default(self):
        cron = self.env.ref("omni_analytics.ir_cron_omni_repurchase")
        self.assertFalse(cron.active)
