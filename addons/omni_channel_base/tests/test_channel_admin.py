import contextlib
import logging
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .. import log_redaction
from .common import OmniChannelCase


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@tagged("post_install", "-at_install")
class TestPrices(OmniChannelCase):
    channel_count = 2

    def vat(self, included=False):
        return self.env["account.tax"].create({
            "name": "ПДВ 20%" + (" (included)" if included else ""),
            "amount": 20,
            "type_tax_use": "sale",
            "price_include_override": "tax_included" if included else "tax_excluded",
        })

    def test_price_held_by_the_channel_is_shown_and_not_resent(self):
        sim, channel = self.sims[0], self.channels[0]
        sim.hold_price_jumps = True  # as Rozetka does with a jump above 1.5x
        self.products[0].list_price = 300
        self.run_jobs()
        binding = self.binding(channel, self.products[0])
        self.assertEqual(sim.offer("SKU-0")["price"], "100.00", "held, not applied")
        self.assertEqual(binding.sync_state, "ok")
        self.assertIn("confirmed there", binding.last_error)
        self.assertIn("300", binding.last_error)
        self.assertFalse(binding.price_dirty)
        sent = len([r for r in sim.requests if r["path"] == "/api/prices"])
        channel.action_sync_prices_now()
        self.run_jobs()
        self.assertEqual(
            len([r for r in sim.requests if r["path"] == "/api/prices"]), sent,
            "resending would only queue the same change again",
        )

    def test_values_the_channel_already_shows_count_as_sent(self):
        sim, channel = self.sims[0], self.channels[0]
        sim.report_unchanged = True  # as Prom answers a change that changes nothing
        channel.action_full_resync()
        self.run_jobs()
        bindings = self.env["omni.product.binding"].search([("channel_id", "=", channel.id)])
        self.assertEqual(set(bindings.mapped("sync_state")), {"ok"})
        self.assertFalse(any(bindings.mapped("last_error")))
        self.assertFalse(any(bindings.mapped("price_dirty")))

    def test_pricelist_prices_in_one_pass_equal_odoo_pricelist(self):
        """Without rules the prices are computed at once; they are Odoo's to the kopeck."""
        channel = self.channels[0]
        products = self.env["product.product"].create([
            {"name": f"Priced {i}", "list_price": price}
            for i, price in enumerate([0.0, 0.01, 19.995, 100.0, 1234.567, 99999.99])
        ])
        pricelist = channel.pricelist_id
        self.assertFalse(pricelist.item_ids.filtered(lambda item: item.active))
        expected = pricelist._get_products_price(products, 1.0)
        self.assertEqual(channel._omni_pricelist_prices(products), expected)
        # with a rule, Odoo's own computation
        pricelist.item_ids = [(0, 0, {"applied_on": "3_global", "compute_price": "formula",
                                      "price_discount": -12.5, "price_round": 0.01})]
        self.assertEqual(channel._omni_pricelist_prices(products),
                         pricelist._get_products_price(products, 1.0))
        self.assertAlmostEqual(channel._omni_pricelist_prices(products)[products[3].id], 112.5)

    def _rules_catalogue(self):
        """Products in a category tree, with variants, costs and three kinds of taxes;
        the channel's pricelist with rules of every kind, scope and validity, one
        of them based on a pricelist in another currency."""
        Category, Item = self.env["product.category"], self.env["product.pricelist.item"]
        root = Category.create({"name": "Техніка"})
        kitchen = Category.create({"name": "Кухня", "parent_id": root.id})
        kettles = Category.create({"name": "Чайники", "parent_id": kitchen.id})
        garden = Category.create({"name": "Сад"})
        other = Category.create({"name": "Інше"})
        color = self.env["product.attribute"].create({"name": "Колір", "value_ids": [
            (0, 0, {"name": name}) for name in ("Білий", "Чорний", "Червоний")]})
        size = self.env["product.attribute"].create({"name": "Розмір", "value_ids": [
            (0, 0, {"name": name}) for name in ("S", "XL")]})
        vat, included = self.vat(), self.vat(included=True)
        taxes = [vat, included, self.env["account.tax"]]
        categories = [root, kitchen, kettles, garden, other]
        prices = [0.0, 0.01, 9.995, 19.99, 100.0, 240.29, 1234.565, 99999.99]
        templates = self.env["product.template"].create([
            {"name": f"Rules {i}", "categ_id": categories[i % len(categories)].id,
             "list_price": prices[i % len(prices)], "standard_price": 3.33 * i,
             "taxes_id": [(6, 0, taxes[i % len(taxes)].ids)]}
            for i in range(24)
        ])
        templates[0].attribute_line_ids = [
            (0, 0, {"attribute_id": color.id, "value_ids": [(6, 0, color.value_ids.ids)]}),
            (0, 0, {"attribute_id": size.id, "value_ids": [(6, 0, size.value_ids.ids)]}),
        ]
        for extra, ptav in zip([0.1, 0.2, 33.333, 0.0, 7.77],
                               templates[0].attribute_line_ids.product_template_value_ids,
                               strict=True):
            ptav.price_extra = extra
        products = templates.product_variant_ids
        variant = templates[0].product_variant_ids[2]
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "rate": 0.0237})
        wholesale = self.env["product.pricelist"].create({
            "name": "Гурт (EUR)", "currency_id": eur.id, "item_ids": [
                (0, 0, {"applied_on": "3_global", "compute_price": "percentage",
                        "percent_price": 12.5}),
                (0, 0, {"applied_on": "2_product_category", "categ_id": garden.id,
                        "compute_price": "fixed", "fixed_price": 41.5}),
            ]})
        pricelist = self.channels[0].pricelist_id
        now = fields.Datetime.now()
        Item.create([
            {"pricelist_id": pricelist.id, "applied_on": "0_product_variant",
             "product_id": variant.id, "compute_price": "fixed", "fixed_price": 77.77},
            {"pricelist_id": pricelist.id, "applied_on": "1_product",
             "product_tmpl_id": templates[0].id, "compute_price": "percentage",
             "percent_price": 15},
            {"pricelist_id": pricelist.id, "applied_on": "1_product",
             "product_tmpl_id": templates[7].id, "compute_price": "fixed",
             "fixed_price": 5, "min_quantity": 5},  # never for one unit
            {"pricelist_id": pricelist.id, "applied_on": "1_product",
             "product_tmpl_id": templates[9].id, "compute_price": "formula",
             "base": "standard_price", "price_discount": -30, "price_round": 0.5,
             "price_min_margin": 2, "price_max_margin": 20},
            {"pricelist_id": pricelist.id, "applied_on": "2_product_category",
             "categ_id": kettles.id, "compute_price": "formula", "price_discount": 7.5,
             "price_round": 1.0, "price_surcharge": -0.01, "min_quantity": 1},
            {"pricelist_id": pricelist.id, "applied_on": "2_product_category",
             "categ_id": kitchen.id, "compute_price": "percentage", "percent_price": 10},
            {"pricelist_id": pricelist.id, "applied_on": "2_product_category",
             "categ_id": garden.id, "compute_price": "formula", "base": "pricelist",
             "base_pricelist_id": wholesale.id, "price_discount": -20, "price_round": 0.05,
             "date_start": now - timedelta(days=1), "date_end": now + timedelta(days=1)},
            {"pricelist_id": pricelist.id, "applied_on": "2_product_category",
             "categ_id": garden.id, "compute_price": "fixed", "fixed_price": 0.5,
             "date_end": now - timedelta(days=1)},  # over
            {"pricelist_id": pricelist.id, "applied_on": "2_product_category",
             "categ_id": other.id, "compute_price": "fixed", "fixed_price": 1.0,
             "date_start": now + timedelta(days=1)},  # not yet
            {"pricelist_id": pricelist.id, "applied_on": "2_product_category",
             "categ_id": other.id, "compute_price": "formula", "base": "pricelist",
             "base_pricelist_id": wholesale.id, "price_discount": 0},
            {"pricelist_id": pricelist.id, "applied_on": "3_global", "compute_price": "formula",
             "price_discount": 5, "price_round": 0.1, "price_surcharge": 0.09,
             "price_min_margin": 1, "price_max_margin": 200},
        ])
        return products, pricelist

    def test_pricelist_rules_in_bulk_equal_odoo_product_by_product(self):
        """Every kind of rule, computed in bulk, gives Odoo's price to the kopeck."""
        products, pricelist = self._rules_catalogue()
        channel = self.channels[0]
        self.assertTrue(pricelist._omni_engine_is_odoos())
        expected = {p.id: pricelist._get_product_price(p, 1.0) for p in products}
        self.assertEqual(channel._omni_pricelist_prices(products), expected)
        # in bulk indeed, not through Odoo's engine as a fallback
        bulk = pricelist._omni_bulk_prices(pricelist._omni_product_facts(products),
                                           fields.Datetime.now(), pricelist.currency_id, 0)
        self.assertEqual(bulk, expected)
        self.assertEqual(pricelist._omni_prices(products[:1]), {products[0].id: expected[
            products[0].id]}, "a rule based on products absent from the set changes nothing")
        rules = pricelist._get_products_price(products, 1.0)
        self.assertEqual(rules, expected)
        self.assertGreater(len(set(expected.values())), 12, "the rules do give other prices")
        # with the taxes the buyer pays on top, per product as Odoo computes them
        channel.prices_include_tax = True
        gross = channel._omni_gross_prices(products, channel._omni_pricelist_prices(products))
        for product in products:
            taxes = channel._omni_excluded_taxes(product.taxes_id)
            want = (taxes.compute_all(expected[product.id], channel.currency_id, 1.0, product)
                    ["total_included"] if taxes else expected[product.id])
            self.assertEqual(channel.currency_id.round(gross[product.id]),
                             channel.currency_id.round(want), product.display_name)

    def test_pricelist_engine_overridden_by_a_module_is_used(self):
        """A module that changes Odoo's pricelist engine keeps its say over the prices."""
        products, pricelist = self._rules_catalogue()
        Item = type(self.env["product.pricelist.item"])
        original = Item._compute_price

        def doubled(rule, product, *args, **kwargs):
            return 2 * original(rule, product, *args, **kwargs)

        with patch.object(Item, "_compute_price", doubled):
            self.assertFalse(pricelist._omni_engine_is_odoos())
            expected = {p.id: pricelist._get_product_price(p, 1.0) for p in products}
            self.assertEqual(self.channels[0]._omni_pricelist_prices(products), expected)

    def test_switching_price_sync_on_sends_every_price(self):
        sim, channel = self.sims[0], self.channels[0]
        channel.sync_price = False
        self.run_jobs()
        self.products[0].list_price = 250
        self.run_jobs()
        self.assertEqual(sim.offer("SKU-0")["price"], "100.00", "price sync is off")
        channel.sync_price = True
        self.run_jobs()
        self.assertEqual(sim.offer("SKU-0")["price"], "250.00")

    def test_gross_prices_by_group_equal_compute_all_per_product(self):
        """Prices with taxes computed once per group of taxes and price, to the kopeck."""
        Tax = self.env["account.tax"]
        vat, included = self.vat(), self.vat(included=True)
        fixed = Tax.create({"name": "Eco fee", "amount_type": "fixed", "amount": 0.37,
                            "type_tax_use": "sale", "sequence": 1,
                            "include_base_amount": True})
        seven = Tax.create({"name": "ПДВ 7%", "amount": 7, "type_tax_use": "sale"})
        group = Tax.create({"name": "Group", "amount_type": "group", "type_tax_use": "sale",
                            "children_tax_ids": [(6, 0, (fixed | seven).ids)]})
        division = Tax.create({"name": "Division 5%", "amount_type": "division", "amount": 5,
                               "type_tax_use": "sale"})
        tax_sets = [vat, included, vat | included, fixed | vat, group, division,
                    Tax.browse(), seven]
        prices = [0.01, 0.05, 1.0, 33.33, 99.995, 100.0, 240.29, 1234.565, 0.0]
        products = self.env["product.product"].create([
            {"name": f"Taxed {i}", "taxes_id": [(6, 0, tax_sets[i % len(tax_sets)].ids)]}
            for i in range(len(tax_sets) * len(prices) * 2)
        ])
        price_of = {p.id: prices[(i // 2) % len(prices)] for i, p in enumerate(products)}
        channel = self.channels[0]
        calls = []
        original = type(Tax).compute_all

        def counted(taxes, *args, **kwargs):
            calls.append(taxes.ids)
            return original(taxes, *args, **kwargs)

        # without compute_all's accounting part (not patched: the fast path)
        got = channel._omni_gross_prices(products, price_of)
        # a module overriding compute_all (here: counting it) gets compute_all, per group
        with patch.object(type(Tax), "compute_all", counted):
            self.assertEqual(channel._omni_gross_prices(products, price_of), got)
        groups = {(tuple(channel._omni_excluded_taxes(p.taxes_id).ids), price_of[p.id])
                  for p in products if channel._omni_excluded_taxes(p.taxes_id)}
        self.assertEqual(len(calls), len(groups), "one computation per group, not per product")
        self.assertLess(len(calls), len(products) / 2)
        for product in products:
            taxes = channel._omni_excluded_taxes(product.taxes_id)
            expected = (taxes.compute_all(price_of[product.id], channel.currency_id, 1.0, product)
                        ["total_included"] if taxes else price_of[product.id])
            self.assertEqual(channel.currency_id.round(got[product.id]),
                             channel.currency_id.round(expected), product.name)
            self.assertAlmostEqual(got[product.id], expected, places=10)

    def test_prices_sent_and_received_include_vat(self):
        """The marketplace shows what the buyer pays; the sale order totals the same."""
        product = self.products[0]
        product.taxes_id = self.vat()  # Ukrainian chart: VAT on top of prices
        self.products[1].taxes_id = self.vat(included=True)
        self.run_jobs()
        self.assertEqual(self.sims[0].offer("SKU-0")["price"], "120.00")
        self.assertEqual(self.sims[0].offer("SKU-1")["price"], "101.00")
        product.taxes_id.amount = 7  # a rate change reaches the channels too
        self.run_jobs()
        self.assertEqual(self.sims[0].offer("SKU-0")["price"], "107.00")
        product.taxes_id.amount = 20
        self.run_jobs()
        self.assertEqual(self.sims[0].offer("SKU-0")["price"], "120.00")
        self.channels[1].prices_include_tax = False  # a B2B channel quoting net prices
        self.run_jobs()
        self.assertEqual(self.sims[1].offer("SKU-0")["price"], "100.00")

        self.set_stock(product, 5)
        self.run_jobs()
        self.sims[0].place_order(
            {"name": "Покупець", "phone": "0671112233"}, [{"sku": "SKU-0", "quantity": 2}]
        )
        self.channels[0].action_import_orders_now()
        self.run_jobs()
        sale = self.env["sale.order"].search([("omni_channel_id", "=", self.channels[0].id)])
        self.assertEqual(sale.order_line.price_unit, 100.0)
        self.assertEqual(sale.amount_total, 240.0, "what the buyer paid, not VAT on top")

    def test_fiscal_position_with_included_taxes_totals_to_the_kopeck(self):
        """Net unit prices round; prices with VAT included through a fiscal position do not."""
        product = self.products[0]
        product.taxes_id = self.vat()
        self.set_stock(product, 5)
        self.run_jobs()
        self.sims[0].add_offer("SKU-0", quantity=5, price="240.29")  # 240.29 / 1.2 is no cent
        channel = self.channels[0]

        def import_one(phone):
            self.sims[0].place_order({"name": "Покупець", "phone": phone},
                                     [{"sku": "SKU-0", "quantity": 2}])
            channel.action_import_orders_now()
            self.run_jobs()
            return self.env["sale.order"].search(
                [("omni_channel_id", "=", channel.id)], order="id desc", limit=1)

        net = import_one("0671112244")
        self.assertAlmostEqual(net.amount_total, 480.58, delta=0.02)
        channel.fiscal_position_id = self.env["account.fiscal.position"].create({
            "name": "Маркетплейс: ціни з ПДВ",
            "tax_ids": [(0, 0, {"tax_src_id": product.taxes_id.id,
                                "tax_dest_id": self.vat(included=True).id})],
        })
        exact = import_one("0671112255")
        self.assertEqual(exact.fiscal_position_id, channel.fiscal_position_id)
        self.assertEqual(exact.order_line.price_unit, 240.29)
        self.assertEqual(exact.amount_total, 480.58)

    def test_pricelist_rule_and_product_price_reach_channels(self):
        product = self.products[0]
        self.assertEqual(self.sims[0].offer("SKU-0")["price"], "100.00")
        self.env["product.pricelist.item"].create({
            "pricelist_id": self.pricelist.id,
            "applied_on": "0_product_variant",
            "product_id": product.id,
            "compute_price": "percentage",
            "percent_price": -10,  # a 10% markup for the channels
        })
        self.run_jobs()
        self.assertEqual([s.offer("SKU-0")["price"] for s in self.sims], ["110.00", "110.00"])
        self.assertEqual(self.sims[0].offer("SKU-1")["price"], "101.00")

        self.products[1].product_tmpl_id.list_price = 150
        self.run_jobs()
        self.assertEqual(self.sims[1].offer("SKU-1")["price"], "150.00")
        price_calls = [r for r in self.sims[0].requests if r["path"] == "/api/prices"]
        # one request per change, carrying only what changed
        self.assertEqual(len(price_calls), 2)
        self.assertNotIn("SKU-2", price_calls[-1]["body"])


@tagged("post_install", "-at_install")
class TestAccessAndSecrets(OmniChannelCase):
    channel_count = 1

    def test_salesperson_cannot_read_credentials(self):
        user = self.env["res.users"].create({
            "name": "Seller", "login": "omni_seller",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
        })
        channel = self.channels.with_user(user)
        self.assertEqual(channel.name, "Channel A")
        self.assertTrue(channel.binding_count)
        with self.assertRaises(AccessError):
            channel.read(["api_key"])
        with self.assertRaises(AccessError):
            channel.search_read([], ["api_url", "api_key"])
        with self.assertRaises(AccessError):
            self.channels.with_user(user).write({"name": "Mine"})

    def test_no_secret_in_logs_or_sync_log(self):
        secret = self.channels.sudo().api_key
        handler = _Collect()
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        log_redaction.install()  # as at server start, for this new handler too
        try:
            # a library logging a URL with the key in it, as urllib3 does at DEBUG
            self.channels._omni_build_adapter()
            logging.getLogger("urllib3.connectionpool").debug(
                "GET /api/ping?api_key=%s HTTP/1.1", secret)
            logging.getLogger("some.library").info("token %s accepted", secret)
            self.set_stock(self.products[0], 2)
            self.run_jobs()
            self.sims[0].faults.add("status", path="/api/stock", status=500, times=10)
            self.channels.action_full_resync()
            with contextlib.suppress(RetryableJobError):  # the failure is not under test
                self.run_jobs()
            self.channels.sudo().api_key = "wrong-" + secret
            with self.assertRaises(UserError):
                self.channels.action_test_connection()
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
        self.assertTrue(handler.lines, "the sync must log what it does")
        self.assertFalse([line for line in handler.lines if secret in line])
        events = self.env["omni.sync.event"].search([("channel_id", "=", self.channels.id)])
        self.assertTrue(events)
        for event in events:
            for text in (event.request_body, event.response_body, event.url, event.error):
                self.assertNotIn(secret, text or "")

    def test_session_token_is_shared_masked_and_for_administrators_only(self):
        """Rozetka and Checkbox sessions: one login serves every later job."""
        channel = self.channels
        get, store = channel._omni_token_cache()
        self.assertFalse(get())
        token = "rz-session-7f3a9c2e11d4"
        handler = _Collect()
        root = logging.getLogger()
        root.addHandler(handler)
        log_redaction.install()
        try:
            store(token)  # a job logged in
            # a later job, in another environment, finds the session
            later_get, _store = self.env["omni.channel"].browse(channel.id)._omni_token_cache()
            self.assertEqual(later_get(), token)
            self.assertEqual(channel._omni_token_cache("cashier:1")[0](), None)
            logging.getLogger("some.library").warning("Authorization: Bearer %s", token)
        finally:
            root.removeHandler(handler)
        self.assertTrue(handler.lines)
        self.assertFalse([line for line in handler.lines if token in line])
        self.assertIn(token, channel._omni_secrets(), "masked in the sync log as well")
        seller = self.env["res.users"].create({
            "name": "Seller", "login": "omni_seller_token",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_manager").id])],
        })
        with self.assertRaises(AccessError):
            self.env["omni.channel.token"].with_user(seller).search_read([], ["token"])


@tagged("post_install", "-at_install")
class TestBindingsAndHealth(OmniChannelCase):
    channel_count = 1

    def test_publish_wizard_reports_matched_unmatched_duplicates(self):
        Product = self.env["product.product"]
        fresh = Product.create([
            {"name": "Cup", "default_code": "CUP-1", "is_storable": True},
            {"name": "No code", "is_storable": True},
            {"name": "Twin A", "default_code": "TWIN", "is_storable": True},
            {"name": "Twin B", "default_code": "TWIN", "is_storable": True},
        ])
        wizard = self.env["omni.binding.wizard"].with_context(
            active_model="product.product", active_ids=(fresh | self.products[0]).ids
        ).create({"channel_id": self.channels.id})
        wizard.action_run()
        self.assertEqual(
            (wizard.matched_count, wizard.unmatched_count, wizard.duplicate_count), (2, 1, 2)
        )
        self.assertIn("TWIN", wizard.report)
        bound = self.env["omni.product.binding"].search(
            [("channel_id", "=", self.channels.id), ("product_id", "=", fresh[0].id)]
        )
        self.assertEqual(bound.sku, "CUP-1")

    def test_match_wizard_binds_remote_offers(self):
        sim = self.sims[0]
        product = self.env["product.product"].create(
            {"name": "Kettle", "barcode": "4820000000017", "is_storable": True}
        )
        sim.add_offer("4820000000017", name="Чайник", quantity=0)
        sim.add_offer("NOBODY-1", name="Невідомий товар", quantity=0)
        wizard = self.env["omni.binding.wizard"].create({
            "channel_id": self.channels.id, "mode": "match", "match_by": "barcode",
        })
        wizard.action_run()
        binding = self.binding(self.channels, product)
        self.assertEqual(binding.external_id, "4820000000017")
        self.assertGreaterEqual(wizard.unmatched_count, 1)
        self.assertIn("NOBODY-1", wizard.report)

    def test_reconciliation_repairs_drift(self):
        product = self.products[1]
        self.set_stock(product, 6)
        self.run_jobs()
        # someone edited the quantity in the marketplace's back office
        self.sims[0].add_offer("SKU-1", quantity=40, price="1.00")
        self.channels.action_reconcile_now()
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[0], product), 6)
        self.assertIn("1 differed", self.channels.message_ids[0].body)

    def test_health_shows_waiting_jobs_and_their_age(self):
        self.set_stock(self.products[0], 1)
        self.flush()
        job = self.pending_jobs("stock", self.channels)
        # queue_job protects its dates; age the job as 20 minutes of waiting would
        self.env.cr.execute(
            "UPDATE queue_job SET date_created = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(minutes=20), job.id],
        )
        self.channels.invalidate_recordset()
        self.assertEqual(self.channels.queue_depth, 1)
        self.assertGreaterEqual(self.channels.oldest_job_age, 20)
        self.assertEqual(self.channels.health, "error")
        self.run_jobs()
        self.channels.invalidate_recordset()
        self.assertEqual(self.channels.queue_depth, 0)
        self.assertEqual(self.channels.health, "ok")

    def test_sweeper_requeues_forgotten_changes(self):
        binding = self.binding(self.channels, self.products[2])
        self.set_stock(self.products[2], 3)
        self.flush()
        self.pending_jobs().unlink()  # e.g. lost with a database restore
        self.assertTrue(binding.stock_dirty)
        self.env["omni.channel"]._cron_sweep()
        self.run_jobs()
        self.assertEqual(self.shown(self.sims[0], self.products[2]), 3)

    def test_sync_log_cleanup_keeps_recent_entries(self):
        Event = self.env["omni.sync.event"]
        old = Event.create({"channel_id": self.channels.id, "endpoint": "/old"})
        new = Event.create({"channel_id": self.channels.id, "endpoint": "/new"})
        self.env.cr.execute(
            "UPDATE omni_sync_event SET create_date = now() - interval '40 days' WHERE id = %s",
            [old.id],
        )
        Event._cron_cleanup()
        self.assertFalse(Event.search([("id", "=", old.id)]))
        self.assertTrue(Event.search([("id", "=", new.id)]))

    def test_products_without_inventory_never_wait_for_a_stock_push(self):
        self.sims[0].add_offer("SRV-1", quantity=0, price="1.00")
        service = self.env["product.product"].create(
            {"name": "Gift wrapping", "default_code": "SRV-1", "is_storable": False,
             "list_price": 20, "taxes_id": [(6, 0, [])]}
        )
        binding = self.env["omni.product.binding"].create(
            {"channel_id": self.channels.id, "product_id": service.id}
        )
        self.run_jobs()
        self.assertFalse(binding.stock_dirty)
        self.assertFalse(binding.price_dirty)
        self.assertEqual(self.sims[0].offer("SRV-1")["price"], "20.00")
        self.channels.invalidate_recordset()
        self.assertEqual(self.channels.pending_binding_count, 0)


@tagged("post_install", "-at_install")
class TestWaitingList(OmniChannelCase):
    channel_count = 1

    def test_waiting_to_be_sent_opens_the_waiting_products(self):
        """The card's 'Waiting to be sent' number opens the list of those products."""
        self.set_stock(self.products[1], 2)
        self.flush()
        action = self.channels.action_open_pending_bindings()
        waiting = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(waiting, self.binding(self.channels, self.products[1]))
        self.assertNotIn(self.binding(self.channels, self.products[0]),
                         self.env["omni.product.binding"].search([("stock_dirty", "=", True)]))
