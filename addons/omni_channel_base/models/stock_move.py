from odoo import api, models

#: fields whose change moves a product's available-to-sell
STOCK_FIELDS = {"state", "product_uom_qty", "product_qty", "product_id", "location_id",
                "location_dest_id", "product_uom"}


class StockMove(models.Model):
    _inherit = "stock.move"

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        self.env["omni.product.binding"]._omni_products_changed(
            moves.filtered(lambda m: m.state != "draft").product_id
        )
        return moves

    def write(self, vals):
        products = self.product_id if STOCK_FIELDS & set(vals) else None
        res = super().write(vals)
        if products is not None:
            # confirm, reserve, done, cancel and quantity changes all write here
            self.env["omni.product.binding"]._omni_products_changed(
                products | self.product_id
            )
        return res

    def unlink(self):
        products = self.filtered(lambda m: m.state != "draft").product_id
        res = super().unlink()
        self.env["omni.product.binding"]._omni_products_changed(products)
        return res
