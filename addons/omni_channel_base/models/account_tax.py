from odoo import models

#: fields of a tax that move the price a channel shows with taxes included
PRICE_FIELDS = {"amount", "amount_type", "price_include_override", "children_tax_ids",
                "include_base_amount", "active"}


class AccountTax(models.Model):
    _inherit = "account.tax"

    def write(self, vals):
        res = super().write(vals)
        if PRICE_FIELDS & set(vals):
            products = self.env["product.product"].with_context(active_test=False).search(
                [("taxes_id", "in", self.ids)]
            )
            self.env["omni.product.binding"]._omni_products_changed(products, kinds=("price",))
        return res
