"""Repurchase reminders for products bought again and again.

For each product marked *Remind to Buy Again*, the typical interval of a
customer (commercial partner) is the median of the days between their
consecutive purchases of it; a customer who bought it once takes the product's
typical interval (the median over every customer's intervals). The purchase is
due when its date plus that interval has come. One reminder record per due
purchase (unique on the purchase's order line): a new purchase makes a new one,
a sent one is never sent again, and one a later purchase made pointless is
closed.
"""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    omni_repurchase = fields.Boolean(
        "Remind to Buy Again",
        help="Customers are reminded when they are due to buy this product again "
        "(food, cosmetics, pet supplies...).",
    )
    omni_repurchase_days = fields.Float(
        "Typical Repurchase Interval (Days)", readonly=True, digits=(16, 1),
        help="The median number of days between two purchases of the product by the same "
        "customer. Refreshed with the reminders.",
    )


class OmniRepurchaseReminder(models.Model):
    _name = "omni.repurchase.reminder"
    _description = "Repurchase Reminder"
    _inherit = ["mail.thread"]
    _order = "due_date, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", "Customer", required=True, readonly=True,
                                 index=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", required=True, readonly=True,
                                 ondelete="cascade")
    order_line_id = fields.Many2one(
        "sale.order.line", "Last Purchase", required=True, readonly=True, ondelete="cascade",
        help="The purchase this reminder is for; each purchase is reminded once.")
    order_id = fields.Many2one(related="order_line_id.order_id", string="Order")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    channel_id = fields.Many2one("omni.channel", "Sales Channel", readonly=True)
    last_date = fields.Datetime("Bought On", readonly=True)
    interval_days = fields.Float("Interval (Days)", readonly=True, digits=(16, 1))
    due_date = fields.Date(readonly=True, index=True)
    state = fields.Selection(
        [("due", "Due"), ("sent", "Reminded"), ("done", "Bought Again")],
        default="due", required=True, readonly=True, index=True)
    sent_date = fields.Datetime("Reminded On", readonly=True)

    _sql_constraints = [
        ("order_line_uniq", "unique(order_line_id)", "A purchase is reminded once."),
    ]

    @api.model
    def _omni_refresh(self):
        """Intervals of the marked products and one reminder per due purchase."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("""
            CREATE TEMP TABLE omni_rep_purchase ON COMMIT DROP AS
            SELECT COALESCE(p.commercial_partner_id, p.id) AS partner_id, l.product_id,
                   l.id AS line_id, o.date_order, o.company_id, o.omni_channel_id,
                   EXTRACT(EPOCH FROM o.date_order - LAG(o.date_order) OVER (
                       PARTITION BY COALESCE(p.commercial_partner_id, p.id), l.product_id
                       ORDER BY o.date_order, l.id)) / 86400.0 AS gap,
                   ROW_NUMBER() OVER (
                       PARTITION BY COALESCE(p.commercial_partner_id, p.id), l.product_id
                       ORDER BY o.date_order DESC, l.id DESC) AS recent
              FROM sale_order_line l
              JOIN sale_order o ON o.id = l.order_id
              JOIN res_partner p ON p.id = o.partner_id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE o.state = 'sale' AND pt.omni_repurchase
        """))
        cr.execute("ANALYZE omni_rep_purchase")
        cr.execute("""
            UPDATE product_template pt SET omni_repurchase_days = g.days
              FROM (SELECT pp.product_tmpl_id,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY r.gap) AS days
                      FROM omni_rep_purchase r
                      JOIN product_product pp ON pp.id = r.product_id
                     WHERE r.gap > 0 GROUP BY pp.product_tmpl_id) g
             WHERE pt.id = g.product_tmpl_id
        """)
        # a purchase made pointless by a later one
        cr.execute("""
            UPDATE omni_repurchase_reminder m SET state = 'done'
              FROM omni_rep_purchase r
             WHERE r.line_id = m.order_line_id AND r.recent > 1 AND m.state = 'due'
        """)
        cr.execute("""
            WITH own AS (
                SELECT partner_id, product_id,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS days
                  FROM omni_rep_purchase WHERE gap > 0 GROUP BY partner_id, product_id
            ), due AS (
                SELECT r.partner_id, r.product_id, r.line_id, r.date_order, r.company_id,
                       r.omni_channel_id,
                       COALESCE(own.days, pt.omni_repurchase_days) AS days
                  FROM omni_rep_purchase r
                  JOIN product_product pp ON pp.id = r.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  LEFT JOIN own ON own.partner_id = r.partner_id
                               AND own.product_id = r.product_id
                 WHERE r.recent = 1
            )
            INSERT INTO omni_repurchase_reminder
                   (partner_id, product_id, order_line_id, company_id, channel_id, last_date,
                    interval_days, due_date, state, create_uid, write_uid, create_date,
                    write_date)
            SELECT d.partner_id, d.product_id, d.line_id, d.company_id, d.omni_channel_id,
                   d.date_order, round(d.days::numeric, 1),
                   (d.date_order + make_interval(secs => d.days * 86400))::date, 'due',
                   %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM due d
             WHERE d.days > 0
               AND (d.date_order + make_interval(secs => d.days * 86400))::date <= CURRENT_DATE
            ON CONFLICT (order_line_id) DO NOTHING
        """, [self.env.uid, self.env.uid])
        created = cr.rowcount
        cr.execute("DROP TABLE omni_rep_purchase")
        self.invalidate_model()
        self.env["product.template"].invalidate_model(["omni_repurchase_days"])
        return created

    def action_send(self):
        """Send the reminder mail to each due record, once."""
        template = self.env.ref("omni_analytics.mail_template_omni_repurchase")
        sent = self.browse()
        for reminder in self.filtered(lambda r: r.state == "due" and r.partner_id.email):
            template.send_mail(reminder.id)
            sent |= reminder
        sent.write({"state": "sent", "sent_date": fields.Datetime.now()})
        return sent

    @api.model
    def _cron_omni_repurchase(self):
        self._omni_refresh()
        due = self.search([("state", "=", "due"),
                           ("due_date", "<=", fields.Date.context_today(self))])
        sent = due.action_send()
        _logger.info("omni analytics: %s repurchase reminders sent", len(sent))
        return sent
