# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Subscription Grouping Report Tests",
    "summary": "Tests only: OCA's journal ledger, general ledger and revenue "
    "cut-offs read merged invoices right",
    "version": "18.0.1.0.0",
    "development_status": "Alpha",
    "category": "Hidden/Tests",
    "author": "subscription_grouping contributors",
    "license": "AGPL-3",
    # test dependencies of subscription_grouping, which itself needs neither
    "depends": [
        "subscription_grouping",
        "account_financial_report",
        "account_cutoff_start_end_dates",
    ],
    "data": [],
    "auto_install": False,
    "installable": True,
}
