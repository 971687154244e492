{
    "name": "Omnichannel Money in the Books",
    "summary": "Marketplace and cash-on-delivery orders invoiced, paid into clearing "
    "journals, fees booked, refusals reversed and payouts reconciled",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "omni",
    "website": "https://github.com/omni-ua/omni",
    "depends": [
        "omni_channel_base",
        "account",
        "account_reconcile_oca",
        "account_statement_import_sheet_file",
    ],
    "data": [
        "security/omni_account_security.xml",
        "security/ir.model.access.csv",
        "data/omni_payout_mapping_data.xml",
        "views/omni_money_route_views.xml",
        "views/sale_order_views.xml",
        "wizards/omni_payout_registry_import_views.xml",
        "views/account_bank_statement_line_views.xml",
        "views/res_config_settings_views.xml",
        "views/omni_account_menus.xml",
    ],
    "post_init_hook": "post_init_hook",
    "installable": True,
}
