"""The costs of an order captured where they arise, by rules the manager sets.

* Commission rules per channel: a percentage by product category (the most
  specific category wins) with the channel's default percentage, plus a fixed
  fee per order shared among the lines to the kopeck. Used only when the
  marketplace does not report its own commission; stored on the order when it
  is imported, so a later change of the rules does not rewrite history.
* Delivery cost rule per channel, for channels that deliver themselves (no
  carrier waybill to read the cost from): a fixed amount per order plus a
  percentage of the order's total, stored at import.
* Acquiring rules: a percentage and a fixed fee per money route (the channel's
  payment service, an Odoo payment journal, a payment method the channel names),
  applied when the money for the order is collected.

The profit reports and the books read the stored figures on the sale order.
"""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from omni_connectors.core import money

from .sale_order import COLLECTION_SOURCES


def _percent_of(amount, percent):
    """``percent`` % of ``amount``, in whole kopecks (half up)."""
    return money.quantize_uah(money.to_decimal(amount) * money.to_decimal(percent) / 100)


class OmniCommissionRule(models.Model):
    _name = "omni.commission.rule"
    _description = "Channel Commission Rule"
    _order = "channel_id, categ_id, id"

    channel_id = fields.Many2one(
        "omni.channel", "Sales Channel", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    categ_id = fields.Many2one(
        "product.category", "Product Category", required=True, ondelete="cascade",
        help="Applies to products of this category and of its subcategories, unless a "
        "subcategory has a rule of its own.",
    )
    percent = fields.Float(
        "Commission (%)", digits=(16, 4), required=True,
        help="The marketplace's fee as a percentage of what the buyer pays for the line.",
    )

    _sql_constraints = [
        ("channel_categ_uniq", "unique(channel_id, categ_id)",
         "A channel has one commission rule per product category."),
    ]

    @api.constrains("percent")
    def _check_percent(self):
        for rule in self:
            if not 0 <= rule.percent <= 100:
                raise ValidationError(self.env._("A commission is between 0 and 100 %."))


class OmniAcquiringRule(models.Model):
    _name = "omni.acquiring.rule"
    _description = "Acquiring Fee Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    source = fields.Selection(
        COLLECTION_SOURCES,
        string="Collected By",
        required=True,
        default="channel",
        help="How the money was collected: the channel's payment service (Prom Payment), "
        "the carrier's cash on delivery, or a payment registered in Odoo (card acquirer).",
    )
    channel_ids = fields.Many2many(
        "omni.channel", string="Sales Channels", check_company=True,
        help="Empty: every channel.",
    )
    payment_method = fields.Char(
        help="Applies only when the channel's payment method contains this text (e.g. "
        "\"Prom-оплата\"); empty: any method.",
    )
    journal_id = fields.Many2one(
        "account.journal", "Payment Journal", check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="For payments registered in Odoo: applies only to payments in this journal.",
    )
    percent = fields.Float("Fee (%)", digits=(16, 4))
    fixed_fee = fields.Monetary("Fixed Fee per Payment")
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.constrains("percent", "fixed_fee")
    def _check_fee(self):
        for rule in self:
            if not 0 <= rule.percent <= 100 or rule.fixed_fee < 0:
                raise ValidationError(self.env._(
                    "An acquiring fee is a percentage between 0 and 100 and a fixed fee "
                    "of 0 or more."))

    def _omni_matches(self, order, source, journal=None):
        self.ensure_one()
        if self.source != source or self.company_id != order.company_id:
            return False
        if self.channel_ids and order.omni_channel_id not in self.channel_ids:
            return False
        if self.journal_id and self.journal_id != journal:
            return False
        if self.payment_method:
            methods = order.omni_external_order_ids.mapped("payment_method")
            wanted = self.payment_method.casefold()
            if not any(wanted in (method or "").casefold() for method in methods):
                return False
        return True

    def _omni_fee(self, amount):
        """The fee on ``amount`` collected, in whole kopecks."""
        self.ensure_one()
        return _percent_of(amount, self.percent) + money.quantize_uah(self.fixed_fee)

    @api.model
    def _omni_rule_for(self, order, source, journal=None):
        rules = self.search([("company_id", "=", order.company_id.id), ("source", "=", source)])
        return next((rule for rule in rules if rule._omni_matches(order, source, journal)),
                    self.browse())


class OmniChannel(models.Model):
    _inherit = "omni.channel"

    commission_percent = fields.Float(
        "Default Commission (%)", digits=(16, 4),
        help="The marketplace's fee as a percentage of what the buyer pays, for products "
        "whose category has no rule. Used only when the marketplace does not report its "
        "own commission on the order.",
    )
    commission_fixed_fee = fields.Monetary(
        "Fixed Commission per Order",
        help="A fee the marketplace takes per order, shared among its lines by their totals.",
    )
    commission_rule_ids = fields.One2many(
        "omni.commission.rule", "channel_id", "Commission by Category"
    )
    delivery_cost_policy = fields.Selection(
        [("carrier", "From the carrier's waybill"), ("rule", "The channel's rule")],
        "Delivery Cost", default="carrier", required=True,
        help="Where the seller's delivery cost of an order comes from: the carrier's "
        "waybill (the carrier addon reads it), or, for a channel that delivers itself, "
        "the rule below, applied when the order is imported.",
    )
    delivery_cost_fixed = fields.Monetary("Delivery Cost per Order")
    delivery_cost_percent = fields.Float("Delivery Cost (% of Order)", digits=(16, 4))

    @api.constrains("commission_percent", "commission_fixed_fee", "delivery_cost_fixed",
                    "delivery_cost_percent")
    def _check_cost_rules(self):
        for channel in self:
            if (not 0 <= channel.commission_percent <= 100
                    or not 0 <= channel.delivery_cost_percent <= 100
                    or channel.commission_fixed_fee < 0 or channel.delivery_cost_fixed < 0):
                raise ValidationError(self.env._(
                    "Percentages are between 0 and 100 and fixed amounts are 0 or more."))

    def _omni_has_commission_rules(self):
        self.ensure_one()
        return bool(self.commission_percent or self.commission_fixed_fee
                    or self.commission_rule_ids)

    def _omni_commission_percent(self, category):
        """The percentage for ``category``: its own rule, else its nearest parent's,
        else the channel's default."""
        self.ensure_one()
        by_categ = {rule.categ_id.id: rule.percent for rule in self.commission_rule_ids}
        if category and by_categ:
            ids = [int(part) for part in (category.parent_path or "").split("/") if part]
            for categ_id in reversed(ids or [category.id]):
                if categ_id in by_categ:
                    return by_categ[categ_id]
        return self.commission_percent

    def _omni_commission_for(self, lines):
        """(total, [per line]) by this channel's rules for sale order ``lines``."""
        self.ensure_one()
        per_line = [
            _percent_of(line.price_total, self._omni_commission_percent(line.product_id.categ_id))
            for line in lines
        ]
        if self.commission_fixed_fee and lines:
            fixed = money.split_amount(self.commission_fixed_fee,
                                       [line.price_total for line in lines])
            per_line = [a + b for a, b in zip(per_line, fixed, strict=True)]
        return sum(per_line, Decimal(0)), per_line

    def _omni_delivery_cost_for(self, order):
        """The seller's delivery cost of ``order`` by the channel's rule, or None."""
        self.ensure_one()
        if self.delivery_cost_policy != "rule":
            return None
        return (money.quantize_uah(self.delivery_cost_fixed)
                + _percent_of(order.amount_total, self.delivery_cost_percent))


class OmniExternalOrder(models.Model):
    _inherit = "omni.external.order"

    def _omni_reported_commission(self, sale, order):
        """The lines always add up to the order's figure: a marketplace that reports both
        and disagrees with itself has the difference shared by the line totals (the
        books book the order's figure, the reports read the lines)."""
        res = super()._omni_reported_commission(sale, order)
        if not res:
            return res
        total, per_line = res
        difference = money.quantize_uah(total) - sum(per_line, Decimal(0))
        if difference and per_line:
            lines = self._omni_channel_lines(sale)
            extra = money.split_amount(difference, [line.price_total for line in lines])
            per_line = [value + share for value, share in zip(per_line, extra, strict=True)]
        return total, per_line

    def _omni_commission_by_rules(self, sale):
        """The channel's commission rules, stored once: an order that already has a
        commission by rules keeps it (a later change of rules does not rewrite
        history) unless the recompute action asks for it."""
        res = super()._omni_commission_by_rules(sale)
        if res:
            return res
        channel = self.channel_id
        lines = self._omni_channel_lines(sale)
        if not channel._omni_has_commission_rules() or not lines:
            return ()
        recompute = self.env.context.get("omni_recompute_commission")
        if sale.omni_commission_source == "rules" and not recompute:
            stored = [money.quantize_uah(line.omni_commission) for line in lines]
            # lines replaced while a quotation (a changed order) are priced again
            if sum(stored, Decimal(0)) == money.quantize_uah(sale.omni_commission):
                return money.quantize_uah(sale.omni_commission), stored
        return channel._omni_commission_for(lines)

    def _omni_create_sale(self, partner, lines, order):
        sale = super()._omni_create_sale(partner, lines, order)
        cost = self.channel_id._omni_delivery_cost_for(sale)
        if cost is not None:
            sale.omni_delivery_cost = float(cost)
        return sale


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _omni_on_money_collected(self, amount, date, source):
        """The acquiring fee of the money route, from the first matching rule.

        A payment registered in Odoo names its journal in the context
        (``omni_payment_journal_id``), so that a rule per journal applies.
        """
        res = super()._omni_on_money_collected(amount, date, source)
        journal = self.env["account.journal"].browse(
            self.env.context.get("omni_payment_journal_id") or [])
        Rule = self.env["omni.acquiring.rule"].sudo()
        for order in self:
            rule = Rule._omni_rule_for(order, source, journal)
            if rule:
                fee = float(rule._omni_fee(amount))
                if order.currency_id.compare_amounts(order.omni_acquiring_fee, fee):
                    order.omni_acquiring_fee = fee
        return res
