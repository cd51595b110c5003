from . import sale_subscription_group
