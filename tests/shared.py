"""Values the pure tests share: the cadences and the cent."""

from decimal import Decimal

from subscription_grouping_core import Cadence, Unit

CENT = Decimal("0.01")
MONTHLY = Cadence(1, Unit.MONTH)
QUARTERLY = Cadence(3, Unit.MONTH)
YEARLY = Cadence(1, Unit.YEAR)
CADENCES = [MONTHLY, QUARTERLY, YEARLY]
