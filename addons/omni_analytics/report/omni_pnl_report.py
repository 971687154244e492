"""Channel profit and loss: one row per sale order line of a confirmed order.

A plain SQL view over the stored figures of the line (see
``models/sale_order_line.py``): reading a year grouped by channel and month is
one aggregate over an index-supported scan, with no per-record Python.
"""

from odoo import fields, models, tools
from odoo.tools import SQL

MONEY_FIELDS = ("revenue", "returns", "net_revenue", "cogs", "commission", "delivery_cost",
                "cod_fee", "acquiring_fee", "margin")


class OmniPnlReport(models.Model):
    _name = "omni.pnl.report"
    _description = "Channel Profit and Loss"
    _auto = False
    _rec_name = "order_id"
    _order = "date desc, id desc"

    date = fields.Datetime("Order Date", readonly=True)
    channel_id = fields.Many2one("omni.channel", "Sales Channel", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True)
    line_id = fields.Many2one("sale.order.line", "Order Line", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", "Product Template", readonly=True)
    categ_id = fields.Many2one("product.category", "Product Category", readonly=True)
    qty_ordered = fields.Float("Ordered", readonly=True, digits="Product Unit of Measure")
    qty_delivered = fields.Float("Delivered", readonly=True, digits="Product Unit of Measure")
    qty_returned = fields.Float("Returned", readonly=True, digits="Product Unit of Measure")
    revenue = fields.Monetary(readonly=True)
    returns = fields.Monetary(readonly=True)
    net_revenue = fields.Monetary(readonly=True)
    cogs = fields.Monetary("Cost of Goods", readonly=True)
    commission = fields.Monetary(readonly=True)
    delivery_cost = fields.Monetary("Delivery", readonly=True)
    cod_fee = fields.Monetary("COD Fee", readonly=True)
    acquiring_fee = fields.Monetary("Acquiring", readonly=True)
    margin = fields.Monetary("Net Margin", readonly=True)
    margin_percent = fields.Float(
        "Margin (%)", readonly=True, aggregator="avg", digits=(16, 2),
        help="Net margin as a percentage of net revenue (of the group, when grouped).",
    )

    def _select(self):
        return SQL("""
            l.id AS id,
            l.id AS line_id,
            l.order_id AS order_id,
            l.omni_date AS date,
            l.omni_channel_id AS channel_id,
            l.company_id AS company_id,
            l.currency_id AS currency_id,
            COALESCE(p.commercial_partner_id, l.order_partner_id) AS partner_id,
            o.team_id AS team_id,
            l.salesman_id AS user_id,
            l.product_id AS product_id,
            pp.product_tmpl_id AS product_tmpl_id,
            pt.categ_id AS categ_id,
            l.product_uom_qty AS qty_ordered,
            COALESCE(l.omni_qty_out, 0) AS qty_delivered,
            COALESCE(l.omni_qty_returned, 0) AS qty_returned,
            COALESCE(l.omni_revenue, 0) AS revenue,
            COALESCE(l.omni_returns, 0) AS returns,
            COALESCE(l.omni_revenue, 0) - COALESCE(l.omni_returns, 0) AS net_revenue,
            COALESCE(l.omni_cogs, 0) AS cogs,
            COALESCE(l.omni_commission, 0) AS commission,
            COALESCE(l.omni_delivery_share, 0) AS delivery_cost,
            COALESCE(l.omni_cod_share, 0) AS cod_fee,
            COALESCE(l.omni_acquiring_share, 0) AS acquiring_fee,
            COALESCE(l.omni_margin, 0) AS margin,
            CASE WHEN COALESCE(l.omni_revenue, 0) = COALESCE(l.omni_returns, 0) THEN 0
                 ELSE 100.0 * COALESCE(l.omni_margin, 0)
                      / (COALESCE(l.omni_revenue, 0) - COALESCE(l.omni_returns, 0))
            END AS margin_percent
        """)

    def _from(self):
        # every join is a LEFT JOIN on a primary key: PostgreSQL drops those a query
        # does not read, so the year by channel and month scans the lines alone
        return SQL("""
            sale_order_line l
            LEFT JOIN sale_order o ON o.id = l.order_id
            LEFT JOIN res_partner p ON p.id = l.order_partner_id
            LEFT JOIN product_product pp ON pp.id = l.product_id
            LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
        """)

    def _where(self):
        return SQL("l.state = 'sale' AND l.display_type IS NULL")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        cr = self.env.cr
        # the view's scans: confirmed lines by date (a period) and by product (drill-down)
        cr.execute("""
            CREATE INDEX IF NOT EXISTS sale_order_line_omni_pnl_date_idx
                ON sale_order_line (omni_date, omni_channel_id)
             WHERE state = 'sale' AND display_type IS NULL
        """)
        cr.execute("""
            CREATE INDEX IF NOT EXISTS sale_order_line_omni_pnl_product_idx
                ON sale_order_line (product_id, omni_date)
             WHERE state = 'sale' AND display_type IS NULL
        """)
        cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (SELECT %s FROM %s WHERE %s)",
                       SQL.identifier(self._table), self._select(), self._from(),
                       self._where()))

    def _read_group_select(self, aggregate_spec, query):
        """The margin % of a group is its margin over its net revenue, not an average."""
        if aggregate_spec != "margin_percent:avg":
            return super()._read_group_select(aggregate_spec, query)
        return SQL(
            "COALESCE(100.0 * SUM(%(margin)s) / NULLIF(SUM(%(net)s), 0), 0)",
            margin=self._field_to_sql(self._table, "margin", query),
            net=self._field_to_sql(self._table, "net_revenue", query),
        )
