from . import test_core_bridge
