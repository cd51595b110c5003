# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Subscription Grouping Queue Job",
    "summary": "Bill subscription groups and send their invoices on job queue workers",
    "version": "18.0.2.1.1",
    "development_status": "Alpha",
    "category": "Subscription Management",
    "author": "subscription_grouping contributors",
    "license": "AGPL-3",
    "depends": ["subscription_grouping", "queue_job"],
    "data": [
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
        "views/account_move_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
