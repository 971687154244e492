from . import test_fiscal_receipts, test_concurrency
