"""Every company has its policy rows: a new company gets the shipped ones."""

from odoo.tests import tagged

from .common import CheckboxCase


@tagged("post_install", "-at_install")
class TestPolicyCompanies(CheckboxCase):
    def test_new_company_gets_the_default_rows_and_its_orders_use_them(self):
        Policy = self.env["omni.fiscal.policy"]
        main = Policy.search([("company_id", "=", self.env.company.id)])
        company = self.env["res.company"].create({"name": "Друга компанія"})
        rows = Policy.search([("company_id", "=", company.id)])
        self.assertEqual(sorted(rows.mapped("payment_method")),
                         sorted(main.mapped("payment_method")))
        by_method = {row.payment_method: row for row in rows}
        self.assertEqual(by_method["cod"].issue_on, "cod")
        self.assertEqual(by_method["bank"].issue_on, "never")
        self.assertEqual(by_method["cash"].payment_type, "cash")
        self.assertFalse(rows.journal_ids, "journals are the company's own choice")
        # an order of that company is ruled by its rows, not the first company's
        self.env.user.company_ids |= company
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        register = env["omni.checkbox.register"].create({
            "name": "Register of the second company", "company_id": company.id,
            "api_url": self.cbx.url, "license_key": "test-license-key",
            "cashier_login": "cashier", "cashier_password": "secret-pass",
            "is_default": True,
        })
        order = env["sale.order"].create({
            "partner_id": self.buyer.id, "company_id": company.id,
            "order_line": [(0, 0, {"product_id": self.products[1].id, "product_uom_qty": 1,
                                   "price_unit": 101.0, "tax_id": [(6, 0, [])]})],
        })
        order.action_confirm()
        self.assertEqual(Policy._omni_for(order, "cod"), by_method["cod"])
        by_method["cod"].payment_label = "Накладений платіж"
        order._omni_register_collected(order.amount_total, None, "cod")
        receipt = order.omni_fiscal_receipt_ids
        self.assertEqual((receipt.register_id, receipt.payment_label),
                         (register, "Накладений платіж"))
        # the install-time call gives rows only to the companies that have none
        rows.unlink()
        self.assertFalse(Policy._omni_ensure_defaults(self.env.company))
        self.assertTrue(Policy._omni_ensure_defaults(company))
