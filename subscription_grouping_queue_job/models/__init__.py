from . import sale_subscription_group
from . import queue_job
from . import account_move
