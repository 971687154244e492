from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import AnalyticsCase


@tagged("post_install", "-at_install")
class TestSecurity(AnalyticsCase):
    def test_reports_for_managers_and_accountants_only_of_their_companies(self):
        buyer = self.env["res.partner"].create({"name": "Покупець"})
        self.deliver(self.order(buyer, [(self.p1, 1, 150.0)], self.rozetka))
        other = self.env["res.company"].create({"name": "Інша компанія"})
        self.env.flush_all()
        manager = new_test_user(self.env, "an_manager", groups="sales_team.group_sale_manager",
                                company_ids=[(6, 0, (self.company | other).ids)])
        accountant = new_test_user(self.env, "an_accountant",
                                   groups="account.group_account_readonly,base.group_user")
        salesman = new_test_user(self.env, "an_salesman",
                                 groups="sales_team.group_sale_salesman")
        Report = self.env["omni.pnl.report"]
        self.assertTrue(Report.with_user(manager).search([]))
        self.assertTrue(Report.with_user(accountant).search([]))
        with self.assertRaises(AccessError):
            Report.with_user(salesman).search([])
        # another company's user sees none of these rows
        stranger = new_test_user(self.env, "an_stranger", groups="sales_team.group_sale_manager",
                                 company_id=other.id, company_ids=[(6, 0, other.ids)])
        self.assertFalse(Report.with_user(stranger).search([]))
        # rules: managers change them, salespeople and accountants read them
        with self.assertRaises(AccessError):
            self.env["omni.acquiring.rule"].with_user(salesman).create(
                {"name": "x", "source": "channel", "percent": 1})
        self.env["omni.acquiring.rule"].with_user(manager).create(
            {"name": "Prom-оплата", "source": "channel", "percent": 1})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(salesman).action_omni_refresh_scores()
