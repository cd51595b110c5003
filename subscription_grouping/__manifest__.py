# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Subscription Grouping",
    "summary": "Bill all subscriptions of a customer on one date, in one invoice",
    "version": "18.0.3.0.0",
    "development_status": "Alpha",
    "category": "Subscription Management",
    "author": "subscription_grouping contributors",
    "license": "AGPL-3",
    "depends": ["subscription_oca", "account_invoice_start_end_dates"],
    "external_dependencies": {"python": ["subscription_grouping_core"]},
    "data": [
        "security/subscription_grouping_groups.xml",
        "security/ir.model.access.csv",
        "security/subscription_grouping_security.xml",
        "security/sale_subscription_group_billing_report_security.xml",
        "security/sale_subscription_security.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "views/sale_subscription_group_views.xml",
        "views/sale_subscription_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "wizard/sale_subscription_group_preview_views.xml",
        "wizard/sale_subscription_pause_views.xml",
        "report/sale_subscription_group_billing_report_views.xml",
    ],
    "demo": [
        "demo/product_product_demo.xml",
        "demo/product_pricelist_demo.xml",
        "demo/sale_subscription_template_demo.xml",
        "demo/res_partner_demo.xml",
        "demo/sale_subscription_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "subscription_grouping/static/src/components/*.js",
        ],
        "web.assets_tests": [
            "subscription_grouping/static/src/tours/*.js",
        ],
    },
    "installable": True,
}
