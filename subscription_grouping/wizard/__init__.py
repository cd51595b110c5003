from . import sale_subscription_group_preview
from . import sale_subscription_group_preview_line
from . import base_partner_merge_automatic_wizard
from . import account_move_reversal
from . import sale_subscription_pause_wizard
from . import sale_subscription_resume_wizard
from . import sale_subscription_resume_wizard_line
