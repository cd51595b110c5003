/* Copyright 2026 subscription_grouping contributors
   License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {registry} from "@web/core/registry";

// The customer and its two subscriptions come from the Python test
// (tests/test_tour.py): TOUR-MID is due on 11/15/2030 (100.00 a month),
// TOUR-ALIGNED on 12/01/2030; the customer has no billing day yet, the tour
// chooses the 1st.
const members = ".o_field_widget[name=subscription_ids]";
const previewLines = ".modal .o_field_widget[name=line_ids]";
const previewRow = (code) => `${previewLines} .o_data_row:contains(${code})`;

registry.category("web_tour.tours").add("subscription_grouping_switch_on", {
    steps: () => [
        {
            content: "Open the Sales & Purchase tab of the customer",
            trigger: ".o_form_view .o_notebook a[name=sales_purchases]",
            run: "click",
        },
        {
            content:
                "Grouping is off, and the billing day can be chosen already: the 1st",
            trigger:
                ".o_form_view .o_field_widget[name=subscription_grouping_billing_day] select",
            run: "selectByIndex 1",
        },
        {
            content: "Grouping is off: preview switching it on",
            trigger:
                "button[name=action_preview_subscription_grouping]:contains(Switch on...)",
            run: "click",
        },
        {
            content: "The preview is titled by what it does",
            trigger: ".modal .modal-title:contains(Switch grouping on)",
        },
        {
            content: "Its date columns tell now from after",
            trigger: `${previewLines} th[data-name=date_before]:contains(Due now)`,
        },
        {
            content: "and after from now",
            trigger: `${previewLines} th[data-name=date_after]:contains(Due after)`,
        },
        {
            content: "One group: no group column, and no sum under the charges",
            trigger: `${previewLines} th[data-name=amount]:contains(Charge)`,
            run() {
                const lines = document.querySelector(previewLines);
                if (lines.querySelector("th[data-name=group_name]")) {
                    throw new Error("the group column is shown for one group");
                }
                const footer = lines.querySelector("tfoot");
                if (footer && footer.textContent.trim()) {
                    throw new Error(`a sum is shown: ${footer.textContent.trim()}`);
                }
            },
        },
        {
            content: "Remarks wrap rather than being cut",
            trigger: `${previewLines} .o_data_cell.text-wrap[name=note]`,
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
            content:
                "Apply opens the customer's one group, which bills on the 1st, next on 12/01/2030",
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

// A merged invoice of the Python test: its lines show what they bill, then
// their service days on a line of their own.
const invoiceLines = ".o_field_widget[name=invoice_line_ids]";
const LABEL = "Hosting - TOUR-BILL\n12/01/2030 to 12/31/2030";

registry.category("web_tour.tours").add("subscription_grouping_merged_invoice", {
    steps: () => [
        {
            content: "The merged invoice lists its lines",
            trigger: `${invoiceLines} .o_data_row .o_field_product_label_section_and_note_cell textarea`,
        },
        {
            content: "A line's label reads as stored, on two lines, under its product",
            trigger: `${invoiceLines} .o_data_row:contains(Hosting) textarea`,
            run() {
                const labels = [
                    ...document.querySelectorAll(
                        `${invoiceLines} .o_field_product_label_section_and_note_cell textarea`
                    ),
                ].map((textarea) => textarea.value);
                if (!labels.includes(LABEL)) {
                    throw new Error(
                        `no label ${JSON.stringify(LABEL)} in ${JSON.stringify(labels)}`
                    );
                }
            },
        },
    ],
});
