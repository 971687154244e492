from odoo import api, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        self.env["omni.product.binding"]._omni_products_changed(quants.product_id)
        return quants

    def write(self, vals):
        res = super().write(vals)
        # receipts, deliveries and inventory adjustments change quantities here
        if {"quantity", "location_id", "product_id"} & set(vals):
            self.env["omni.product.binding"]._omni_products_changed(self.product_id)
        return res
