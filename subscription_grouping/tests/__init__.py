from . import test_core_bridge
from . import test_join
from . import test_run
from . import test_lifecycle
from . import test_preview
from . import test_sequences
from . import test_accounting
from . import test_tour
