"""Per product over the last twelve months: what sells but loses money, what comes back."""

from odoo import api, fields, models, tools
from odoo.tools import SQL


class OmniProductPerformance(models.Model):
    _name = "omni.product.performance"
    _description = "Product Profit and Returns (Last 12 Months)"
    _auto = False
    _rec_name = "product_id"
    _order = "margin"

    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", "Product Category", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    order_count = fields.Integer("Orders", readonly=True)
    qty_delivered = fields.Float("Delivered", readonly=True, digits="Product Unit of Measure")
    qty_returned = fields.Float("Returned", readonly=True, digits="Product Unit of Measure")
    return_rate = fields.Float(
        "Return Rate (%)", readonly=True, digits=(16, 2), aggregator="avg",
        help="Returned quantity as a percentage of the delivered quantity.",
    )
    net_revenue = fields.Monetary(readonly=True)
    margin = fields.Monetary("Net Margin", readonly=True)
    margin_percent = fields.Float("Margin (%)", readonly=True, digits=(16, 2), aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("""
            CREATE OR REPLACE VIEW %s AS (
                SELECT MIN(r.id) AS id,
                       r.product_id, MIN(r.categ_id) AS categ_id, r.company_id,
                       MIN(r.currency_id) AS currency_id,
                       COUNT(DISTINCT r.order_id) AS order_count,
                       SUM(r.qty_delivered) AS qty_delivered,
                       SUM(r.qty_returned) AS qty_returned,
                       COALESCE(100.0 * SUM(r.qty_returned)
                                / NULLIF(SUM(r.qty_delivered), 0), 0) AS return_rate,
                       SUM(r.net_revenue) AS net_revenue,
                       SUM(r.margin) AS margin,
                       COALESCE(100.0 * SUM(r.margin) / NULLIF(SUM(r.net_revenue), 0), 0)
                           AS margin_percent
                  FROM omni_pnl_report r
                 WHERE r.date >= (now() AT TIME ZONE 'UTC') - interval '365 days'
                   AND r.product_id IS NOT NULL
                 GROUP BY r.product_id, r.company_id
            )""", SQL.identifier(self._table)))

    @api.model
    def _omni_threshold(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(f"omni_analytics.{key}")
        try:
            return float(value) if value not in (None, False, "") else default
        except ValueError:
            return default

    @api.model
    def action_high_returns(self):
        """Products whose return rate is at or above the threshold (setting
        ``omni_analytics.return_rate_threshold``, 20 % by default) on at least
        ``omni_analytics.return_min_qty`` (5) delivered."""
        rate = self._omni_threshold("return_rate_threshold", 20.0)
        qty = self._omni_threshold("return_min_qty", 5.0)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "omni_analytics.omni_product_performance_action")
        action.update({
            "name": self.env._("High Return Rates"),
            "domain": [("return_rate", ">=", rate), ("qty_delivered", ">=", qty)],
            "context": {},
        })
        return action
