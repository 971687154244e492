from odoo import models

PRICE_FIELDS = {"lst_price", "price_extra", "standard_price",
                "product_template_attribute_value_ids"}


class ProductProduct(models.Model):
    _inherit = "product.product"

    def write(self, vals):
        res = super().write(vals)
        if PRICE_FIELDS & set(vals):
            self.env["omni.product.binding"]._omni_products_changed(self, kinds=("price",))
        if "is_storable" in vals or "active" in vals:
            self.env["omni.product.binding"]._omni_products_changed(self, kinds=("stock",))
        return res
