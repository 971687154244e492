"""The manager's day in a real browser, in Ukrainian: Debian's headless chromium driven
by Playwright against the test server, through the Rozetka scenario.

A screenshot of each step is kept in ``$OMNI_SCREENSHOTS`` (default: a folder
``omni-screenshots`` in the system's temporary directory). The test fails on an
error dialog, a red notification, a JavaScript error or an error in the server's
log. It counts the manager's clicks and typed characters from "the order arrived"
to "shipped with its waybill" and prints them.
"""

import logging
import os
import resource
import shutil
import sys
import tempfile
import time
import unittest

from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from .common import SuiteCase

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - CI installs it (requirements.txt)
    sync_playwright = None

PASSWORD = "Menedzher-2026!"
BUYER_RZ = {"first_name": "Олена", "last_name": "Бондаренко", "second_name": "Іванівна",
            "phone": "380671234567"}
ERRORS = ".o_error_dialog, .o_notification.border-danger, .o_notification_bar.bg-danger"



class _ErrorLog(logging.Handler):
    """The server's errors while the browser works."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(self.format(record))


@tagged("post_install", "-at_install")
class TestBrowser(SuiteCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        if sync_playwright is None or not shutil.which("chromium"):
            raise unittest.SkipTest("the browser test needs chromium and playwright")
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("uk_UA")
        modules = cls.env["ir.module.module"].search([("state", "=", "installed")])
        modules._load_module_terms(modules.mapped("name"), ["uk_UA"], overwrite=True)
        cls.manager = new_test_user(
            cls.env, login="manager", password=PASSWORD, name="Марія Менеджер",
            lang="uk_UA", tz="Europe/Kyiv",
            groups="sales_team.group_sale_manager,stock.group_stock_manager,"
                   "account.group_account_manager")
        # the register's responsible reads the receipts: named in her language
        cls.register.user_id = cls.manager
        cls.shots = os.environ.get("OMNI_SCREENSHOTS") or os.path.join(
            tempfile.gettempdir(), "omni-screenshots")
        os.makedirs(cls.shots, exist_ok=True)
        for name in os.listdir(cls.shots):  # this run's steps only
            if name.endswith((".png", ".txt")):
                os.remove(os.path.join(cls.shots, name))
        cls._say(f"Screenshots of the browser test: {cls.shots}")

    @staticmethod
    def _say(text):
        """Shown where pytest does not capture (-s); scripts/test.sh prints summary.txt."""
        sys.__stderr__.write(f"\n{text}\n")
        sys.__stderr__.flush()

    def setUp(self):
        super().setUp()
        from odoo.modules import module as odoo_module

        # Odoo's test cursor asks the running test (set by Odoo's runner, not by
        # pytest-odoo) whether a request may use it
        previous = odoo_module.current_test
        odoo_module.current_test = self
        self.addCleanup(setattr, odoo_module, "current_test", previous)
        self.set_stock(self.product, 1)
        self.run_all_jobs()
        self.log = _ErrorLog()
        logging.getLogger("odoo").addHandler(self.log)
        self.addCleanup(logging.getLogger("odoo").removeHandler, self.log)
        self.js_errors = []
        self.clicks = self.typed = 0
        self.counting = False
        self.step = 0

    # ------------------------------------------------------------ helpers
    def click(self, locator):
        locator.first.click()
        if self.counting:
            self.clicks += 1
        self.settle()

    def settle(self, timeout=30.0):
        """Wait until the web client is idle: no request of it running for a moment
        (the bus's long-lived connection aside), no blocking spinner."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if self.pending or self.page.locator(".o_blockUI").count():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.4:
                return
        self.fail(f"the web client is still busy: {sorted(self.pending)}")

    def _track_requests(self, page):
        self.pending = set()

        def started(request):
            if "websocket" not in request.url and "/longpolling/" not in request.url:
                self.pending.add(request.url)

        def finished(request):
            self.pending.discard(request.url)

        page.on("request", started)
        page.on("requestfinished", finished)
        page.on("requestfailed", finished)

    def goto(self, path):
        self.page.goto(self.base_url() + path)
        self.page.wait_for_selector(".o_action_manager .o_view_controller", timeout=30000)
        self.settle()

    def shot(self, name):
        """A screenshot of the step; fails on an error shown to the manager."""
        self.step += 1
        path = os.path.join(self.shots, f"{self.step:02d}_{name}.png")
        self.page.screenshot(path=path, full_page=True)
        errors = self.page.locator(ERRORS)
        if errors.count():
            self.fail(f"error shown at step {name}: {errors.first.inner_text()}")
        self.assertFalse(self.js_errors, f"JavaScript error at step {name}")
        self.assertFalse(self.log.records, f"error in the server log at step {name}")
        return path

    def open_record(self, action, record):
        self.goto(f"/odoo/action-{action}/{record.id}")

    # -------------------------------------------------------------- test
    def test_manager_ships_a_rozetka_order_in_two_clicks(self):
        # the server caps its address space (limit_memory_hard); chromium's V8
        # reserves more than that, so its processes get the hard limit back
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_AS, (soft, hard))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                         args=["--no-sandbox"])
            try:
                self.manager_day(browser)
            finally:
                browser.close()

    def manager_day(self, browser):
        context = browser.new_context(viewport={"width": 1400, "height": 900},
                                      locale="uk-UA")
        self.page = page = context.new_page()
        page.set_default_timeout(30000)
        page.on("pageerror", lambda err: self.js_errors.append(str(err)))
        self._track_requests(page)
        page.goto(self.base_url() + "/web/login?redirect=/odoo")
        page.fill("input[name=login]", "manager")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_selector(".o_main_navbar", timeout=60000)

        # the channel form, and its connection tested
        self.open_record("omni_channel_base.omni_channel_action", self.rozetka)
        self.click(page.locator("button[name=action_test_connection]"))
        self.shot("channel_test_connection")

        # a buyer orders the last unit on Rozetka; the job runner imports it
        self.rozetka_sim.place_order([{"sku": self.product.default_code, "quantity": 1}],
                                     customer=BUYER_RZ)
        self.rozetka.action_import_orders_now()
        self.run_all_jobs()
        self.goto("/odoo/action-omni_channel_base.omni_external_order_action")
        external = self.env["omni.external.order"].search(
            [("channel_id", "=", self.rozetka.id)])
        self.assertEqual(len(external), 1)
        self.assertEqual(
            page.locator(".o_data_row", has_text=external.external_id).count(), 1)
        self.shot("external_orders")

        # the order arrived: the manager opens it from the orders and ships it
        self.goto("/odoo/action-sale.action_orders")
        self.counting = True
        self.click(page.locator(".o_data_row", has_text="Бондаренко"))
        self.shot("sale_order")
        self.click(page.locator("button[name=action_omni_ship]"))
        self.counting = False
        self.run_all_jobs()  # the job runner: the shipped status to Rozetka
        sale = self.env["sale.order"].search([("omni_channel_id", "=", self.rozetka.id)])
        picking = sale.picking_ids
        self.assertEqual(picking.state, "done")
        self.assertTrue(picking.carrier_tracking_ref)
        remote = next(iter(self.rozetka_sim.orders.values()))
        self.assertEqual((remote["status"], remote["ttn"]),
                         (3, picking.carrier_tracking_ref))
        page.reload()
        self.settle()
        self.shot("sale_order_shipped")
        summary = (f"Manager, order arrived -> shipped with TTN: {self.clicks} clicks, "
                   f"{self.typed} characters typed")
        self._say(summary)
        with open(os.path.join(self.shots, "summary.txt"), "w", encoding="utf-8") as out:
            out.write(f"{summary}\nScreenshots: {self.shots}\n")
        self.assertLessEqual(self.clicks, 2)
        self.assertEqual(self.typed, 0)

        # the delivery with its waybill and label
        self.open_record("stock.action_picking_tree_all", picking)
        page.locator(".o_notebook .nav-link", has_text="Додаткова інформація").click()
        self.settle()
        self.assertIn(picking.carrier_tracking_ref,
                      page.inner_text(".o_form_view .tab-pane.active"))
        with page.expect_download() as download:
            page.locator("button[name=action_omni_np_print_labels]").click()
        self.assertTrue(download.value.suggested_filename.endswith(".pdf"))
        with open(download.value.path(), "rb") as label:
            self.assertTrue(label.read(4) == b"%PDF", "the label is a PDF")
        self.settle()
        self.shot("delivery_ttn_label")

        # Nova Poshta hands the parcel over and collects the cash: the receipt
        self.track(picking, 10)
        receipt = sale.omni_fiscal_receipt_ids
        self.assertEqual(receipt.state, "done")
        self.open_record("omni_fiscal_checkbox.omni_fiscal_receipt_action", receipt)
        self.assertIn(receipt.fiscal_code, page.inner_text(".o_form_view"))
        self.shot("fiscal_receipt")

        # the channel profit and loss
        self.goto("/odoo/action-omni_analytics.omni_pnl_report_action?view_type=pivot")
        self.shot("pnl_pivot")
        page.close()
        context.close()
