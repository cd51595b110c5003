/* Copyright 2026 subscription_grouping contributors
   License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {ProductLabelSectionAndNoteField} from "@account/components/product_label_section_and_note_field/product_label_section_and_note_field";
import {patch} from "@web/core/utils/patch";

// The invoice lines' product column shows the product, then the rest of the
// label below it. Odoo takes the label to be "<product>\n<description>": it
// cuts the product's name wherever it occurs and then the first line break
// wherever it is, so a label such as "Hosting - SUB0001\n12/01/2026 to
// 12/31/2026" (a merged invoice's) collapses to " - SUB000112/01/2026 to
// 12/31/2026". Only that leading "<product>\n" is cut here; any other label
// is shown whole, on its own lines. The stored label does not change.
patch(ProductLabelSectionAndNoteField.prototype, {
    get label() {
        const name = this.props.record.data.name || "";
        const product = this.productName;
        if (!product || !name.includes(product)) {
            return super.label;
        }
        if (name === product) {
            return "";
        }
        if (name.startsWith(`${product}\n`)) {
            return name.slice(product.length + 1);
        }
        return name;
    },
});
