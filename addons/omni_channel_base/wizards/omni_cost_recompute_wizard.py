from odoo import fields, models
from odoo.exceptions import UserError


class OmniCostRecomputeWizard(models.TransientModel):
    _name = "omni.cost.recompute.wizard"
    _description = "Recompute Order Costs by the Current Rules"

    date_from = fields.Date("From", required=True)
    date_to = fields.Date("To", required=True, default=fields.Date.context_today)
    channel_ids = fields.Many2many(
        "omni.channel", string="Sales Channels", required=True,
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    commission = fields.Boolean(
        default=True,
        help="Orders whose commission came from the rules get it again from the current "
        "rules. A commission the marketplace reported is never changed.",
    )
    delivery = fields.Boolean(
        "Delivery Cost", help="Orders of channels that deliver themselves get their delivery "
        "cost again from the channel's current rule.",
    )
    result = fields.Text(readonly=True)

    def _omni_orders(self):
        self.ensure_one()
        start = fields.Datetime.to_datetime(self.date_from)
        end = fields.Datetime.add(fields.Datetime.to_datetime(self.date_to), days=1)
        return self.env["sale.order"].search([
            ("omni_channel_id", "in", self.channel_ids.ids),
            ("date_order", ">=", start), ("date_order", "<", end),
            ("state", "!=", "cancel"),
        ], order="id")

    def action_recompute(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(self.env._("Only sales managers recompute order costs."))
        if self.date_from > self.date_to:
            raise UserError(self.env._("The period ends before it starts."))
        orders = self._omni_orders()
        changed = 0
        for sale in orders:
            before = (sale.omni_commission, sale.omni_commission_source, sale.omni_delivery_cost)
            external = sale.omni_external_order_ids[:1]
            if (self.commission and external
                    and sale.omni_commission_source != "channel"):
                result = external.with_context(
                    omni_recompute_commission=True)._omni_commission_by_rules(sale)
                total, per_line = result or (0, [])
                lines = external._omni_channel_lines(sale)
                for line, value in zip(lines, per_line or [0] * len(lines), strict=True):
                    line.omni_commission = float(value)
                sale.write({"omni_commission": float(total),
                            "omni_commission_source": "rules" if result else False})
            if self.delivery:
                cost = sale.omni_channel_id._omni_delivery_cost_for(sale)
                if cost is not None:
                    sale.omni_delivery_cost = float(cost)
            if before != (sale.omni_commission, sale.omni_commission_source,
                          sale.omni_delivery_cost):
                changed += 1
                commission = f"{sale.omni_commission:.2f}"
                delivery = f"{sale.omni_delivery_cost:.2f}"
                sale.message_post(body=self.env._(
                    "Costs recomputed by the current rules: commission %(commission)s, "
                    "delivery %(delivery)s.",
                    commission=commission, delivery=delivery))
        self.result = self.env._(
            "%(count)s orders in the period, %(changed)s changed.",
            count=len(orders), changed=changed)
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "target": "new",
        }
