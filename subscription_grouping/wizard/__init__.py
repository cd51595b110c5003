from . import sale_subscription_group_preview
from . import sale_subscription_group_preview_line
from . import base_partner_merge_automatic_wizard
from . import account_move_reversal
