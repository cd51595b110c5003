"""Hypothesis profiles: the default one for CI, ``deep`` to hunt harder.

pytest tests --hypothesis-profile=deep
"""

from hypothesis import settings

settings.register_profile("deep", max_examples=5000, deadline=None)
