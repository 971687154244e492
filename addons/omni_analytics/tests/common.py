from odoo.addons.omni_channel_base.tests.common import OmniLoopbackCase


class AnalyticsCase(OmniLoopbackCase):
    """Two channels, products with a known cost, and helpers that deliver and return."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1)
        Channel = cls.env["omni.channel"]
        cls.rozetka = Channel.create({"name": "Rozetka", "channel_type": "generic",
                                      "warehouse_ids": [(6, 0, cls.warehouse.ids)]})
        cls.prom = Channel.create({"name": "Prom", "channel_type": "generic",
                                   "warehouse_ids": [(6, 0, cls.warehouse.ids)]})
        cls.categ = cls.env["product.category"].create({"name": "Корм"})
        Product = cls.env["product.product"]
        cls.p1 = Product.create({"name": "Корм 2 кг", "is_storable": True, "list_price": 150.0,
                                 "standard_price": 60.0, "categ_id": cls.categ.id,
                                 "taxes_id": [(6, 0, [])]})
        cls.p2 = Product.create({"name": "Шампунь", "is_storable": True, "list_price": 99.99,
                                 "standard_price": 40.5, "taxes_id": [(6, 0, [])]})
        for product in (cls.p1, cls.p2):
            cls.env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": product.id, "location_id": cls.warehouse.lot_stock_id.id,
                "inventory_quantity": 1000}).action_apply_inventory()

    def order(self, partner, lines, channel=None, date=None, confirm=True, **vals):
        order = self.env["sale.order"].create({
            "partner_id": partner.id,
            "warehouse_id": self.warehouse.id,
            "omni_channel_id": channel.id if channel else False,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": qty,
                                   "price_unit": price})
                           for product, qty, price in lines],
            **vals,
        })
        if confirm:
            order.action_confirm()
        if date:
            order.date_order = date
        return order

    def deliver(self, order, qty=None):
        picking = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel"))
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty if qty is None else qty.get(move.product_id, 0)
            move.picked = True
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        return picking

    def give_back(self, picking, qty):
        """The customer sends ``qty`` ({product: quantity}) back; the return is validated."""
        wizard = self.env["stock.return.picking"].with_context(
            active_id=picking.id, active_model="stock.picking").create({"picking_id": picking.id})
        for line in wizard.product_return_moves:
            line.quantity = qty.get(line.product_id, 0)
        returned = wizard._create_return()
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        returned.button_validate()
        return returned
