from . import test_core_bridge
from . import test_join
from . import test_run
from . import test_accounting
