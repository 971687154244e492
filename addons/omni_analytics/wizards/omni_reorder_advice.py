"""Reorder advice from the sales of every channel, applied as Odoo reordering rules.

For each product sold from the warehouse in the window:

* velocity = (quantity delivered to customers − quantity returned) / window days
* cover = on hand + incoming (the warehouse's forecast before outgoing)
* days of cover = cover / velocity
* lead time = the first vendor's delivery lead time, else the default
* minimum (reorder point) = velocity × lead time
* maximum = velocity × (lead time + days to cover)
* suggested quantity = maximum − cover, when cover is under the minimum, else 0

Applying writes the minimum and maximum into the product's reordering rule of
the warehouse (created if missing): Odoo's own replenishment then proposes and
orders the quantity; nothing else orders stock.
"""


from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round


class OmniReorderAdvice(models.TransientModel):
    _name = "omni.reorder.advice"
    _description = "Reorder Advice"

    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, check_company=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1),
    )
    company_id = fields.Many2one(related="warehouse_id.company_id")
    window_days = fields.Integer(
        "Sales Window (Days)", default=30, required=True,
        help="Sales of the last days, all channels together, give the daily velocity.")
    cover_days = fields.Integer(
        "Days to Cover", default=14, required=True,
        help="How many days of sales an order should cover after it arrives.")
    default_lead_days = fields.Integer(
        "Default Lead Time (Days)", default=7, required=True,
        help="For products without a vendor lead time.")
    line_ids = fields.One2many("omni.reorder.advice.line", "advice_id", "Products")

    @api.constrains("window_days", "cover_days", "default_lead_days")
    def _check_days(self):
        for advice in self:
            if advice.window_days <= 0 or advice.cover_days < 0 or advice.default_lead_days < 0:
                raise UserError(self.env._("The window is at least one day; the other "
                                           "periods are 0 or more."))

    def _omni_sold(self):
        """{product id: net quantity delivered to customers} in the window."""
        self.ensure_one()
        view = self.warehouse_id.view_location_id
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            SELECT m.product_id,
                   SUM(CASE WHEN dest.usage = 'customer' THEN m.product_qty
                            ELSE -m.product_qty END)
              FROM stock_move m
              JOIN stock_location src ON src.id = m.location_id
              JOIN stock_location dest ON dest.id = m.location_dest_id
             WHERE m.state = 'done'
               AND m.date >= (now() AT TIME ZONE 'UTC') - make_interval(days => %(days)s)
               AND ((dest.usage = 'customer' AND src.parent_path LIKE %(path)s)
                    OR (src.usage = 'customer' AND dest.parent_path LIKE %(path)s))
             GROUP BY m.product_id
        """, days=self.window_days, path=f"{view.parent_path}%"))
        return dict(self.env.cr.fetchall())

    def action_compute(self):
        self.ensure_one()
        sold = self._omni_sold()
        products = self.env["product.product"].browse(list(sold)).with_context(
            warehouse_id=self.warehouse_id.id)
        lines = []
        for product in products:
            velocity = max(sold[product.id], 0.0) / self.window_days
            if velocity <= 0:
                continue
            sellers = product.seller_ids.filtered(
                lambda s, p=product: not s.product_id or s.product_id == p)
            lead = sellers[:1].delay if sellers else self.default_lead_days
            cover = product.qty_available + product.incoming_qty
            rounding = product.uom_id.rounding
            minimum = float_round(velocity * lead, precision_rounding=rounding,
                                  rounding_method="UP")
            maximum = float_round(velocity * (lead + self.cover_days),
                                  precision_rounding=rounding, rounding_method="UP")
            suggested = float_round(maximum - cover, precision_rounding=rounding,
                                    rounding_method="UP") if cover < minimum else 0.0
            lines.append((0, 0, {
                "product_id": product.id,
                "sold_qty": sold[product.id],
                "velocity": velocity,
                "on_hand": product.qty_available,
                "incoming": product.incoming_qty,
                "days_of_cover": cover / velocity,
                "lead_days": lead,
                "min_qty": minimum,
                "max_qty": max(maximum, minimum),
                "suggested_qty": max(suggested, 0.0),
                "apply": cover < minimum,
            }))
        self.line_ids = [(5, 0, 0), *sorted(lines, key=lambda cmd: cmd[2]["days_of_cover"])]
        return self._omni_reopen()

    def _omni_reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "current"}

    def action_apply(self):
        """Write the chosen lines' minimum and maximum into the warehouse's reordering rules."""
        self.ensure_one()
        chosen = self.line_ids.filtered("apply")
        if not chosen:
            raise UserError(self.env._("Tick the products whose reordering rules to set."))
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        location = self.warehouse_id.lot_stock_id
        existing = {op.product_id.id: op for op in Orderpoint.search([
            ("warehouse_id", "=", self.warehouse_id.id), ("location_id", "=", location.id),
            ("product_id", "in", chosen.product_id.ids)])}
        for line in chosen:
            vals = {"product_min_qty": line.min_qty, "product_max_qty": line.max_qty,
                    "trigger": "auto"}
            orderpoint = existing.get(line.product_id.id)
            if orderpoint:
                orderpoint.write(vals)
            else:
                orderpoint = Orderpoint.create({
                    **vals, "product_id": line.product_id.id,
                    "warehouse_id": self.warehouse_id.id, "location_id": location.id,
                    "company_id": self.warehouse_id.company_id.id})
            line.orderpoint_id = orderpoint
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reordering Rules"),
            "res_model": "stock.warehouse.orderpoint",
            "view_mode": "list,form",
            "domain": [("id", "in", chosen.orderpoint_id.ids)],
        }


class OmniReorderAdviceLine(models.TransientModel):
    _name = "omni.reorder.advice.line"
    _description = "Reorder Advice Line"
    _order = "days_of_cover, id"

    advice_id = fields.Many2one("omni.reorder.advice", required=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id")
    sold_qty = fields.Float("Sold in Window", readonly=True, digits="Product Unit of Measure")
    velocity = fields.Float("Per Day", readonly=True, digits=(16, 3))
    on_hand = fields.Float(readonly=True, digits="Product Unit of Measure")
    incoming = fields.Float(readonly=True, digits="Product Unit of Measure")
    days_of_cover = fields.Float("Days of Cover", readonly=True, digits=(16, 1))
    lead_days = fields.Integer("Lead Time (Days)", readonly=True)
    min_qty = fields.Float("Minimum", digits="Product Unit of Measure")
    max_qty = fields.Float("Maximum", digits="Product Unit of Measure")
    suggested_qty = fields.Float("Suggested Order", readonly=True,
                                 digits="Product Unit of Measure")
    apply = fields.Boolean("Set Rule")
    orderpoint_id = fields.Many2one("stock.warehouse.orderpoint", "Reordering Rule",
                                    readonly=True)


