"""Return orders of Nova Poshta: a parcel the buyer refused or sends back."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from omni_connectors.core import errors as cerr
from omni_connectors.novaposhta import NovaPoshtaError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    np_return_source_id = fields.Many2one(
        "stock.picking", "Returned Delivery", compute="_compute_np_return_source",
        help="The Nova Poshta delivery (with its TTN) that this picking returns.",
    )
    np_can_return = fields.Boolean(compute="_compute_np_return_source")
    np_return_order_number = fields.Char("NP Return Order", readonly=True, copy=False,
                                         tracking=True)
    np_return_order_ref = fields.Char(readonly=True, copy=False)
    np_return_ttn = fields.Char("Return TTN", readonly=True, copy=False, index=True)
    np_return_reason_id = fields.Many2one("omni.np.return.reason", "Return Reason",
                                          readonly=True, copy=False)
    np_return_state = fields.Selection(
        [("queued", "Being created"), ("done", "Created"), ("failed", "Failed")],
        "NP Return", readonly=True, copy=False, index=True,
    )
    np_return_error = fields.Text("NP Return Error", readonly=True, copy=False)
    np_return_note = fields.Char("Return Note", readonly=True, copy=False)

    @api.depends("picking_type_code", "move_ids.origin_returned_move_id.picking_id",
                 "carrier_tracking_ref", "carrier_id", "np_return_order_number",
                 "np_return_state", "state")
    def _compute_np_return_source(self):
        for picking in self:
            if picking.picking_type_code == "incoming":
                source = picking.move_ids.origin_returned_move_id.picking_id[:1]
            elif picking.picking_type_code == "outgoing":
                source = picking
            else:
                source = self.browse()
            if not (source.carrier_tracking_ref and source.np_waybill_ref
                    and source.carrier_id.delivery_type == "novaposhta"):
                source = self.browse()
            picking.np_return_source_id = source
            target = picking._omni_np_return_target(source) if source else picking
            picking.np_can_return = bool(
                source and picking.state != "cancel" and not target.np_return_order_number
                and target.np_return_state != "queued")

    # ------------------------------------------------------------------ helpers
    def _omni_np_return_target(self, source):
        """Where the return order is kept: the return picking, else the delivery itself."""
        if self.picking_type_code == "incoming":
            return self
        returns = self.search([
            ("move_ids.origin_returned_move_id.picking_id", "=", source.id),
            ("picking_type_code", "=", "incoming"), ("state", "!=", "cancel"),
        ], limit=1)
        return returns or source

    def _omni_np_return_context(self):
        """(target, delivery, account) of a return action, or a plain refusal."""
        self.ensure_one()
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(self.env._("Only inventory users may order Nova Poshta returns."))
        self.check_access("write")
        source = self.np_return_source_id
        if not source:
            raise UserError(self.env._(
                "%(picking)s does not return a Nova Poshta delivery with a TTN.",
                picking=self.display_name))
        target = self._omni_np_return_target(source)
        if target.np_return_order_number:
            raise UserError(self.env._(
                "%(picking)s already has the Nova Poshta return order %(number)s.",
                picking=target.display_name, number=target.np_return_order_number))
        account = source.carrier_id.novaposhta_account_id
        if not account:
            raise UserError(self.env._("%(picking)s: the shipping method has no Nova Poshta "
                                       "account.", picking=source.display_name))
        return target, source, account

    def _omni_np_return_refused(self, account, source, err):
        """NP's "not possible" in plain words (in the responsible's language in a job)."""
        return self.env._(
            "Nova Poshta will not take back the parcel %(ttn)s: %(error)s",
            ttn=source.carrier_tracking_ref,
            error="; ".join(getattr(err, "errors", ())) or str(err))

    # ------------------------------------------------------------------ action
    def action_omni_np_return(self):
        """Create NP return: check NP takes it back, then let the manager choose the reason."""
        target, source, account = self._omni_np_return_context()
        try:
            offers = account._omni_np_call(
                lambda client: client.return_possibility(source.carrier_tracking_ref),
                record=source)
        except UserError as err:
            cause = err.__cause__
            if isinstance(cause, NovaPoshtaError):
                raise UserError(self._omni_np_return_refused(account, source, cause)) from cause
            raise
        reasons = account._omni_np_return_reasons()
        offer = offers[0]
        wizard = self.env["omni.np.return.wizard"].create({
            "picking_id": target.id,
            "source_id": source.id,
            "account_id": account.id,
            "reason_id": reasons[:1].id,
            "return_address_ref": offer.ref,
            "return_address": ", ".join(part for part in (
                offer.counterparty, offer.city, offer.address, offer.phone) if part),
            "non_cash_allowed": offer.non_cash,
        })
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Nova Poshta return"),
            "res_model": "omni.np.return.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _omni_np_queue_return(self, source, account, reason, note, payment_method,
                              address_ref):
        self.ensure_one()
        self.check_access("write")
        self.write({"np_return_state": "queued", "np_return_error": False,
                    "np_return_reason_id": reason.id, "np_return_note": note or False})
        account._omni_delay(
            "return", lambda _, p=self, s=source: _(
                "Nova Poshta: return order for %(picking)s (TTN %(ttn)s)",
                picking=p.name, ttn=s.carrier_tracking_ref),
            priority=5, suffix=f":{self.id}", record=self,
        )._omni_np_return_job(source.id, reason.id, note or "", payment_method, address_ref)

    def action_omni_np_return_retry(self):
        for picking in self.filtered(lambda p: p.np_return_state == "failed"):
            target, source, account = picking._omni_np_return_context()
            reason = target.np_return_reason_id
            if not reason:
                return target.action_omni_np_return()
            target._omni_np_queue_return(source, account, reason, target.np_return_note,
                                         "Cash", "")
        return True

    # --------------------------------------------------------------------- job
    def _omni_np_return_job(self, source_id, reason_id, note, payment_method, address_ref):
        """Job: the return order of one picking; a refusal stays on it, with a retry button.

        A save whose answer was lost is found again in NP's list before another is made.
        """
        self.ensure_one()
        if self.np_return_order_number:
            return self.np_return_order_number
        source = self.browse(source_id)
        reason = self.env["omni.np.return.reason"].browse(reason_id)
        account = source.carrier_id.novaposhta_account_id
        ttn = source.carrier_tracking_ref

        def work(client):
            order = client.find_return_order(ttn)
            if order:
                return order
            offers = client.return_possibility(ttn)
            ref = address_ref if address_ref in {o.ref for o in offers} else offers[0].ref
            method = payment_method if (payment_method == "Cash" or any(
                o.non_cash for o in offers)) else "Cash"
            return client.create_return_order(
                ttn, reason.reason_ref, reason.subtype_ref, return_address_ref=ref,
                payment_method=method, note=note)

        try:
            with account._omni_session(record=self) as client:
                order = work(client)
        except NovaPoshtaError as err:
            message = self.with_env(account._omni_in_responsible_lang().env)\
                ._omni_np_return_refused(account, source, err)
            return self._omni_np_return_failed(message)
        except (cerr.OmniConnectorError, ValueError) as err:
            error = account._omni_translate_error(err, in_job=True)
            if not isinstance(error, UserError):
                raise error from err
            return self._omni_np_return_failed(str(error.args[0]))
        self._omni_np_store_return(order, reason)
        return order.number

    def _omni_np_return_failed(self, message):
        vals = {"np_return_state": "failed", "np_return_error": message}
        self._omni_write_outside_np(vals)
        self.write(vals)
        return message

    def _omni_np_store_return(self, order, reason):
        self.ensure_one()
        vals = {
            "np_return_order_number": order.number,
            "np_return_order_ref": order.ref,
            "np_return_state": "done",
            "np_return_error": False,
            "np_return_reason_id": reason.id,
        }
        if order.return_number:
            vals["np_return_ttn"] = order.return_number
            if self.picking_type_code == "incoming" and not self.carrier_tracking_ref:
                vals["carrier_tracking_ref"] = order.return_number
        self.write(vals)
        source = self.np_return_source_id
        if order.return_number:
            body = self.env._(
                "Nova Poshta return order %(number)s for TTN %(ttn)s (%(reason)s); the parcel "
                "comes back with the return TTN %(return_ttn)s.",
                number=order.number, ttn=source.carrier_tracking_ref, reason=reason.name,
                return_ttn=order.return_number)
        else:
            body = self.env._(
                "Nova Poshta return order %(number)s for TTN %(ttn)s (%(reason)s); Nova "
                "Poshta gives the return TTN when the buyer hands the parcel in.",
                number=order.number, ttn=source.carrier_tracking_ref, reason=reason.name)
        self.message_post(body=body)
        if source and source != self:
            source.message_post(body=body)
