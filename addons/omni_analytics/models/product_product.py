from odoo import fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    omni_abc_class = fields.Selection(
        [("a", "A"), ("b", "B"), ("c", "C")], "ABC Class (Margin)", readonly=True,
        copy=False, index=True,
        help="By net margin over the last twelve months: A, the products that make the "
        "first 80 % of the margin; B, the next 15 %; C, the rest and those that lose "
        "money. Refreshed with the customer scores.",
    )
    omni_margin_12m = fields.Monetary(
        "Net Margin (12 Months)", readonly=True, copy=False,
        currency_field="omni_company_currency_id")
    omni_company_currency_id = fields.Many2one(
        "res.currency", compute="_compute_omni_company_currency_id")

    def _compute_omni_company_currency_id(self):
        for product in self:
            product.omni_company_currency_id = self.env.company.currency_id
