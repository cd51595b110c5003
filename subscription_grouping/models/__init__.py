from . import sale_subscription
