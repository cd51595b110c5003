/* Copyright 2026 subscription_grouping contributors
   License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {registry} from "@web/core/registry";

// The customer and its two subscriptions come from the Python test
// (tests/test_tour.py): TOUR-MID is due on 11/15/2030 (100.00 a month),
// TOUR-ALIGNED on 12/01/2030, the customer's billing day is the 1st.
const members = ".o_field_widget[name=subscription_ids]";
const previewRow = (code) =>
    `.modal .o_field_widget[name=line_ids] .o_data_row:contains(${code})`;

registry.category("web_tour.tours").add("subscription_grouping_switch_on", {
    steps: () => [
        {
            content: "Open the Sales & Purchase tab of the customer",
            trigger: ".o_form_view .o_notebook a[name=sales_purchases]",
            run: "click",
        },
        {
            content: "Grouping is off: preview switching it on",
            trigger:
                "button[name=action_preview_subscription_grouping]:contains(Switch on...)",
            run: "click",
        },
        {
            content: "The preview lists the subscription moving to the billing day",
            trigger: `${previewRow("TOUR-MID")}:contains(11/15/2030):contains(12/01/2030)`,
        },
        {
            content: "with a transition of 16 of 30 days",
            trigger: `${previewRow("TOUR-MID")} .o_data_cell[name=ratio]:contains(16 of 30 days)`,
        },
        {
            content: "for 16/30 of 100.00",
            trigger: `${previewRow("TOUR-MID")} .o_data_cell[name=amount]:contains(53.33)`,
        },
        {
            content: "The other subscription is already on the billing day",
            trigger: `${previewRow("TOUR-ALIGNED")} .o_data_cell[name=note]:contains(Already on the billing day)`,
        },
        {
            content: "The summary gives the first merged invoice",
            trigger: ".modal .o_field_widget[name=summary]:contains(12/01/2030)",
        },
        {
            content: "Apply the plan",
            trigger: ".modal-footer button[name=action_apply]",
            run: "click",
        },
        {
            content: "The customer's groups are listed",
            trigger:
                ".o_list_view .o_data_row .o_data_cell[name=name]:contains(Tour Customer)",
            run: "click",
        },
        {
            content: "The group bills on the 1st, next on 12/01/2030",
            trigger:
                ".o_form_view .o_field_widget[name=next_run_date]:contains(12/01/2030)",
        },
        {
            content: "Open the Members tab",
            trigger: ".o_form_view .o_notebook a[name=members]",
            run: "click",
        },
        {
            content: "The subscription that moved is a member, due on the 1st",
            trigger: `${members} .o_data_row:contains(TOUR-MID):contains(12/01/2030)`,
        },
        {
            content: "and so is the one already on the billing day",
            trigger: `${members} .o_data_row:contains(TOUR-ALIGNED):contains(12/01/2030)`,
        },
        {
            content: "and no other subscription",
            trigger: `${members} .o_data_row:contains(TOUR-ALIGNED)`,
            run() {
                const rows = document.querySelectorAll(`${members} .o_data_row`);
                if (rows.length !== 2) {
                    throw new Error(`2 members expected, ${rows.length} found`);
                }
            },
        },
    ],
});
