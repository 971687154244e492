"""The profit figures of a sale order line, stored where they change.

Revenue and returns follow the delivered and returned quantities (what the
buyer really kept), the cost of goods is Odoo's own stock valuation of those
moves, the commission is the one stored on the line at import, and the
order's other costs (delivery, cash-on-delivery fee, acquiring) are shared
among its lines by their totals, to the kopeck, exactly as stored on the order.
The profit report (:mod:`..report.omni_pnl_report`) is a plain SQL view over
these columns: nothing is computed per record when it is read.
"""

from decimal import Decimal

from odoo import api, fields, models

from omni_connectors.core import money

ORDER_COSTS = ("omni_delivery_cost", "omni_cod_fee", "omni_acquiring_fee")


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # the order's date and channel on the line: the profit report reads one table
    omni_date = fields.Datetime(related="order_id.date_order", store=True, precompute=True,
                                string="Order Date (Analytics)")
    omni_channel_id = fields.Many2one(related="order_id.omni_channel_id", store=True,
                                      precompute=True, string="Sales Channel (Analytics)")
    omni_qty_out = fields.Float(
        "Delivered (Analytics)", compute="_compute_omni_moves", store=True,
        digits="Product Unit of Measure",
        help="Quantity delivered to the customer (done deliveries, before returns).",
    )
    omni_qty_returned = fields.Float(
        "Returned", compute="_compute_omni_moves", store=True,
        digits="Product Unit of Measure",
        help="Quantity that came back from the customer (done returns, refused parcels).",
    )
    omni_revenue = fields.Monetary(
        "Revenue", compute="_compute_omni_moves", store=True,
        help="The line's untaxed amount for the delivered quantity.",
    )
    omni_returns = fields.Monetary(
        "Returns", compute="_compute_omni_moves", store=True,
        help="The line's untaxed amount for the returned quantity.",
    )
    omni_cogs = fields.Monetary(
        "Cost of Goods", compute="_compute_omni_moves", store=True,
        help="Stock valuation of the delivered quantity less the returned one.",
    )
    omni_delivery_share = fields.Monetary(
        "Delivery Cost", compute="_compute_omni_shares", store=True,
        help="This line's share of the order's delivery cost.",
    )
    omni_cod_share = fields.Monetary(
        "Cash-on-Delivery Fee", compute="_compute_omni_shares", store=True)
    omni_acquiring_share = fields.Monetary(
        "Acquiring Fee", compute="_compute_omni_shares", store=True)
    omni_margin = fields.Monetary(
        "Net Margin", compute="_compute_omni_margin", store=True,
        help="Revenue less returns, cost of goods, commission and the line's share of the "
        "order's delivery, cash-on-delivery and acquiring costs.")

    @api.depends("omni_revenue", "omni_returns", "omni_cogs", "omni_commission",
                 "omni_delivery_share", "omni_cod_share", "omni_acquiring_share")
    def _compute_omni_margin(self):
        for line in self:
            line.omni_margin = float(money.quantize_uah(
                money.to_decimal(line.omni_revenue) - money.to_decimal(line.omni_returns)
                - money.to_decimal(line.omni_cogs) - money.to_decimal(line.omni_commission)
                - money.to_decimal(line.omni_delivery_share)
                - money.to_decimal(line.omni_cod_share)
                - money.to_decimal(line.omni_acquiring_share)))

    @api.depends("move_ids.state", "move_ids.quantity",
                 "move_ids.stock_valuation_layer_ids.value", "price_subtotal",
                 "product_uom_qty")
    def _compute_omni_moves(self):
        for line in self:
            out = returned = 0.0
            value = 0.0
            for move in line.move_ids.filtered(lambda m: m.state == "done"):
                qty = move.product_uom._compute_quantity(
                    move.quantity, line.product_uom, rounding_method="HALF-UP")
                if move.location_id.usage == "customer":
                    returned += qty
                elif move.location_dest_id.usage == "customer":
                    out += qty
                else:
                    continue
                value += sum(move.stock_valuation_layer_ids.mapped("value"))
            line.omni_qty_out = out
            line.omni_qty_returned = returned
            line.omni_revenue = line._omni_amount_for(out)
            line.omni_returns = line._omni_amount_for(returned)
            line.omni_cogs = float(money.quantize_uah(-value))

    def _omni_amount_for(self, qty):
        """The untaxed amount of ``qty`` units of the line, to the kopeck."""
        self.ensure_one()
        if not qty or not self.product_uom_qty:
            return 0.0
        if abs(qty - self.product_uom_qty) < 1e-9:
            return self.price_subtotal
        return float(money.quantize_uah(
            Decimal(str(self.price_subtotal)) * Decimal(str(qty))
            / Decimal(str(self.product_uom_qty))))

    def _omni_cost_lines(self):
        """The lines an order's costs are shared among: its products, else every line."""
        lines = self.filtered(lambda line: not line.display_type)
        goods = lines.filtered(lambda line: not line.is_delivery)
        return goods or lines

    @api.depends("order_id.omni_delivery_cost", "order_id.omni_cod_fee",
                 "order_id.omni_acquiring_fee", "order_id.order_line.price_total",
                 "display_type", "is_delivery")
    def _compute_omni_shares(self):
        for order in self.order_id:
            lines = order.order_line._omni_cost_lines()
            weights = [line.price_total for line in lines]
            shares = {
                name: money.split_amount(order[name], weights) if order[name] else
                [Decimal(0)] * len(lines)
                for name in ORDER_COSTS
            }
            for index, line in enumerate(lines):
                line.omni_delivery_share = float(shares["omni_delivery_cost"][index])
                line.omni_cod_share = float(shares["omni_cod_fee"][index])
                line.omni_acquiring_share = float(shares["omni_acquiring_fee"][index])
            (order.order_line - lines).update({
                "omni_delivery_share": 0.0, "omni_cod_share": 0.0, "omni_acquiring_share": 0.0})
        (self - self.order_id.order_line).update({
            "omni_delivery_share": 0.0, "omni_cod_share": 0.0, "omni_acquiring_share": 0.0})
