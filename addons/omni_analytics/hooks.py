"""Installing on a database that already has a year of orders.

Odoo would compute the lines' stored profit figures one record at a time in
Python. The pre-init hook creates their columns and fills them with a few SQL
statements instead (the same figures: see ``models/sale_order_line.py``); the
post-init hook shares the few orders' existing costs among their lines in Python,
to the kopeck, as every later change does.
"""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

COLUMNS = {
    "omni_date": "timestamp",
    "omni_channel_id": "integer",
    "omni_qty_out": "numeric",
    "omni_qty_returned": "numeric",
    "omni_revenue": "numeric",
    "omni_returns": "numeric",
    "omni_cogs": "numeric",
    "omni_delivery_share": "numeric",
    "omni_cod_share": "numeric",
    "omni_acquiring_share": "numeric",
    "omni_margin": "numeric",
}


def fill_line_figures(cr, line_ids=None):
    """Compute the lines' stored figures in SQL (all lines, or ``line_ids``); the
    order's costs are left unshared (0)."""
    only = SQL("AND l2.id = ANY(%s)", list(line_ids)) if line_ids is not None else SQL()
    cr.execute(SQL("""
        WITH moves AS (
            SELECT m.sale_line_id AS line_id,
                   SUM(CASE WHEN src.usage <> 'customer' AND dest.usage = 'customer'
                            THEN m.quantity ELSE 0 END) AS qty_out,
                   SUM(CASE WHEN src.usage = 'customer' THEN m.quantity ELSE 0 END)
                       AS qty_returned,
                   SUM(CASE WHEN src.usage = 'customer' OR dest.usage = 'customer'
                            THEN COALESCE(v.value, 0) ELSE 0 END) AS value
              FROM stock_move m
              JOIN stock_location src ON src.id = m.location_id
              JOIN stock_location dest ON dest.id = m.location_dest_id
              LEFT JOIN (SELECT stock_move_id, SUM(value) AS value
                           FROM stock_valuation_layer GROUP BY stock_move_id) v
                     ON v.stock_move_id = m.id
             WHERE m.state = 'done' AND m.sale_line_id IS NOT NULL
             GROUP BY m.sale_line_id
        ), figures AS (
            SELECT l2.id, o.date_order, o.omni_channel_id,
                   COALESCE(mv.qty_out, 0) AS qty_out,
                   COALESCE(mv.qty_returned, 0) AS qty_returned,
                   COALESCE(mv.value, 0) AS value,
                   l2.price_subtotal AS subtotal, l2.product_uom_qty AS qty
              FROM sale_order_line l2
              JOIN sale_order o ON o.id = l2.order_id
              LEFT JOIN moves mv ON mv.line_id = l2.id
             WHERE TRUE %s
        )
        UPDATE sale_order_line l
           SET omni_date = f.date_order,
               omni_channel_id = f.omni_channel_id,
               omni_qty_out = f.qty_out,
               omni_qty_returned = f.qty_returned,
               omni_revenue = CASE
                   WHEN f.qty_out = 0 OR f.qty = 0 THEN 0
                   WHEN f.qty_out = f.qty THEN f.subtotal
                   ELSE ROUND((f.subtotal * f.qty_out / f.qty)::numeric, 2) END,
               omni_returns = CASE
                   WHEN f.qty_returned = 0 OR f.qty = 0 THEN 0
                   WHEN f.qty_returned = f.qty THEN f.subtotal
                   ELSE ROUND((f.subtotal * f.qty_returned / f.qty)::numeric, 2) END,
               omni_cogs = ROUND((-f.value)::numeric, 2),
               omni_delivery_share = 0, omni_cod_share = 0, omni_acquiring_share = 0
          FROM figures f
         WHERE f.id = l.id
    """, only))
    cr.execute(SQL("""
        UPDATE sale_order_line l2
           SET omni_margin = COALESCE(omni_revenue, 0) - COALESCE(omni_returns, 0)
                             - COALESCE(omni_cogs, 0) - COALESCE(omni_commission, 0)
                             - COALESCE(omni_delivery_share, 0) - COALESCE(omni_cod_share, 0)
                             - COALESCE(omni_acquiring_share, 0)
         WHERE TRUE %s
    """, only))


def pre_init_hook(env):
    cr = env.cr
    for name, kind in COLUMNS.items():
        cr.execute(SQL("ALTER TABLE sale_order_line ADD COLUMN IF NOT EXISTS %s " + kind,
                       SQL.identifier(name)))
    fill_line_figures(cr)
    _logger.info("omni_analytics: profit figures of %s order lines filled", cr.rowcount)


def post_init_hook(env):
    """Share the orders' existing costs among their lines, to the kopeck."""
    orders = env["sale.order"].search([
        "|", "|", ("omni_delivery_cost", "!=", 0), ("omni_cod_fee", "!=", 0),
        ("omni_acquiring_fee", "!=", 0)])
    lines = orders.order_line
    if lines:
        env.add_to_compute(lines._fields["omni_delivery_share"], lines)
        lines._recompute_recordset(["omni_delivery_share", "omni_cod_share",
                                    "omni_acquiring_share"])
        env.add_to_compute(lines._fields["omni_margin"], lines)
        lines._recompute_recordset(["omni_margin"])
