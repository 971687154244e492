from . import test_website_orders
