from . import sale_subscription_group_preview
from . import sale_subscription_group_preview_line
