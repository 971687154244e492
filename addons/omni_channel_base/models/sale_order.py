from odoo import api, fields, models
from odoo.exceptions import UserError

from omni_connectors.core.models import OrderState

#: who collected the buyer's money: the events of _omni_register_collected, and what
#: the acquiring rules (omni.acquiring.rule) apply to
COLLECTION_SOURCES = [
    ("channel", "Paid on the channel"),
    ("cod", "Cash on delivery collected"),
    ("payment", "Payment in Odoo"),
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    omni_channel_id = fields.Many2one(
        "omni.channel", string="Sales Channel", index=True, copy=False, readonly=True,
        tracking=True,
    )
    omni_external_id = fields.Char("Channel Order Number", index=True, copy=False,
                                   readonly=True)
    omni_external_order_ids = fields.One2many(
        "omni.external.order", "sale_order_id", string="Channel Orders"
    )
    omni_import_date = fields.Datetime(
        "Imported On", copy=False, readonly=True,
        help="When Odoo received the order; the order date is the buyer's, on the channel.",
    )
    # money known to be collected, whoever collected it (the marketplace, the
    # carrier's cash on delivery, a payment in Odoo): the fiscal and accounting
    # addons act on it through _omni_on_money_collected
    omni_collected_amount = fields.Monetary(
        "Collected", copy=False, readonly=True, tracking=True,
        help="Money for this order known to be collected from the buyer.",
    )
    omni_collected_date = fields.Datetime("Collected On", copy=False, readonly=True)
    # the marketplace's fee, stored when the order is imported (profit reports, books)
    omni_commission = fields.Monetary(
        "Marketplace Commission", readonly=True, copy=False,
        help="The marketplace's fee for this order: as the marketplace reported it, "
        "else from the channel's commission rules when the order was imported "
        "(0 once refunded).",
    )
    omni_commission_source = fields.Selection(
        [("channel", "Reported by the channel"), ("rules", "Channel's commission rules")],
        string="Commission From", readonly=True, copy=False,
    )
    # the other costs of the order, captured where they arise (the carrier's
    # waybill, the money route's fees): the profit reports and the books read them
    omni_delivery_cost = fields.Monetary(
        "Delivery Cost", readonly=True, copy=False,
        help="What the seller pays the carrier for this order: the waybill when the "
        "sender pays, and the return shipping of a refused or returned parcel.",
    )
    omni_cod_fee = fields.Monetary(
        "Cash-on-Delivery Fee", readonly=True, copy=False,
        help="The carrier's fee for transferring the cash collected on delivery, "
        "where the seller pays it.",
    )
    omni_acquiring_fee = fields.Monetary(
        "Acquiring Fee", readonly=True, copy=False,
        help="The payment service's fee on the money collected for this order "
        "(card acquiring, the marketplace's payment service).",
    )
    omni_collected_source = fields.Selection(
        COLLECTION_SOURCES,
        string="Collected By",
        copy=False,
        readonly=True,
    )

    # ----------------------------------------------------------- money events
    def _omni_register_collected(self, amount, date=None, source="channel"):
        """Money for the order is known to be collected; tell every addon once.

        ``source``: ``channel`` (the marketplace reports it paid), ``cod`` (the
        carrier collected cash on delivery), ``payment`` (an Odoo payment).
        Registering the same source again changes nothing, so a repeated
        report (a re-imported order, a tracking poll) never acts twice.
        """
        done = self.browse()
        for order in self:
            if order.omni_collected_source == source:
                continue
            order.write({
                "omni_collected_amount": amount,
                "omni_collected_date": date or fields.Datetime.now(),
                "omni_collected_source": source,
            })
            label = dict(self._fields["omni_collected_source"]._description_selection(
                self.env))[source]
            shown = f"{amount:.2f}"
            order.message_post(body=self.env._(
                "%(how)s: %(amount)s %(currency)s.",
                how=label, amount=shown, currency=order.currency_id.name,
            ))
            done |= order
        for order in done:
            order._omni_on_money_collected(
                order.omni_collected_amount, order.omni_collected_date, source
            )
        return done

    def _omni_on_money_collected(self, amount, date, source):
        """Hook: money for this order was collected (fiscal receipt, payment...)."""
        return True

    def _omni_parcel_refused(self, picking):
        """The buyer refused the parcel of ``picking`` or it came back."""
        for order in self:
            order.message_post(body=self.env._(
                "The parcel %(parcel)s was refused or came back.",
                parcel=picking.carrier_tracking_ref or picking.name,
            ))
            partner = order.partner_id.commercial_partner_id
            partner.sudo().omni_refused_count += 1
            order._omni_return_refused_parcel(picking)
            order._omni_on_parcel_refused(picking)
        return True

    def _omni_return_refused_parcel(self, picking):
        """The goods of a refused parcel are on their way back: a return receipt of
        everything ``picking`` delivered, ready for the storekeeper to validate when
        the parcel arrives (stock comes back then, and the channels see it). Once
        per parcel: none if its goods are already being returned."""
        self.ensure_one()
        picking = picking.sudo()
        if (picking.state != "done" or picking.picking_type_code != "outgoing"
                or picking.move_ids.returned_move_ids.filtered(lambda m: m.state != "cancel")):
            return self.env["stock.picking"]
        wizard = self.env["stock.return.picking"].sudo().with_company(
            picking.company_id).with_context(
            active_id=picking.id, active_ids=picking.ids, active_model="stock.picking",
        ).create({"picking_id": picking.id})
        for line in wizard.product_return_moves:
            line.quantity = line.move_id.quantity
        wizard.product_return_moves.filtered(lambda line: not line.quantity).unlink()
        if not wizard.product_return_moves:
            return self.env["stock.picking"]
        back = wizard._create_return()
        back.message_post(body=self.env._(
            "The parcel %(parcel)s was refused: validate this receipt when it is back.",
            parcel=picking.carrier_tracking_ref or picking.name))
        return back

    def _omni_on_parcel_refused(self, picking):
        """Hook: a parcel of this order was refused (return receipt, credit note...)."""
        return True

    # ---------------------------------------------------- status to channel
    def _omni_channel_order(self):
        """The external order this sale came from, if any."""
        self.ensure_one()
        return self.omni_external_order_ids[:1]

    def _prepare_confirmation_values(self):
        """An imported order keeps the date the buyer ordered on the channel."""
        values = super()._prepare_confirmation_values()
        if self and all(self.mapped("omni_import_date")):
            values.pop("date_order", None)
        return values

    def _action_confirm(self):
        res = super()._action_confirm()
        for order in self.filtered("omni_channel_id"):
            order._omni_channel_order()._omni_queue_status(OrderState.CONFIRMED)
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        if not self.env.context.get("omni_from_channel"):
            reason = self.env.context.get("omni_cancel_reason") or ""
            comment = self.env.context.get("omni_cancel_comment") or ""
            for order in self.filtered("omni_channel_id"):
                order._omni_channel_order()._omni_queue_status(
                    OrderState.CANCELLED, cancel_reason=reason, comment=comment
                )
        return res

    omni_can_ship = fields.Boolean(
        "Ready to Ship", compute="_compute_omni_can_ship",
        help="A confirmed channel order whose outgoing delivery is ready to go.")

    @api.depends("omni_channel_id", "state", "picking_ids.state")
    def _compute_omni_can_ship(self):
        for order in self:
            order.omni_can_ship = bool(
                order.omni_channel_id and order.state == "sale"
                and order._omni_ready_deliveries())

    def _omni_ready_deliveries(self):
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "assigned")

    def action_omni_ship(self):
        """Ship the order in one click: validate its ready outgoing deliveries, as the
        picking's own Validate does (the carrier then books the waybill and its label,
        and the channel is told it is shipped). A wizard Odoo asks for (a backorder,
        say) is returned as it would be from the picking."""
        self.ensure_one()
        pickings = self._omni_ready_deliveries()
        if not pickings:
            raise UserError(self.env._(
                "Order %(name)s has no delivery ready to ship.", name=self.name))
        return pickings.button_validate()

    def action_omni_cancel_on_channel(self):
        """Open the cancel wizard: the reason is one the channel accepts."""
        self.ensure_one()
        if not self.omni_channel_id:
            raise UserError(self.env._("This order does not come from a sales channel."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel on %(channel)s", channel=self.omni_channel_id.name),
            "res_model": "omni.order.cancel.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_sale_order_id": self.id},
        }

    @api.model
    def _omni_status_kinds(self):
        return [OrderState.CONFIRMED, OrderState.SHIPPED, OrderState.CANCELLED]


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    omni_commission = fields.Monetary(
        "Marketplace Commission", readonly=True, copy=False,
        help="The marketplace's fee for this line, stored when the order was imported.",
    )
