from odoo import models

PRICE_FIELDS = {"list_price", "standard_price", "currency_id", "taxes_id"}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        res = super().write(vals)
        Binding = self.env["omni.product.binding"]
        if PRICE_FIELDS & set(vals):
            Binding._omni_products_changed(self.product_variant_ids, kinds=("price",))
        if "is_storable" in vals or "active" in vals:
            Binding._omni_products_changed(self.product_variant_ids, kinds=("stock",))
        return res
