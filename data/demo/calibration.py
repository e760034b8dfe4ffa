"""The demo's calibration: city, seed, site sizes and populations, employment forms and wages, how often each
rights item applies — the numbers the generated city is tuned to."""
from __future__ import annotations

import numpy as np

from domain.labour import EMPLOYMENT_FORMS

DEFAULT_CITY = "522300"
DEFAULT_SEED = 20261
CITY_SIZE_COUNTS = (18, 24, 20, 6)         # 68 sites
CITY_POPULATION = 340_000
PROVINCE_SITES = 1000
PROVINCE_HOUSEHOLDS = 450_000
PEOPLE_PER_HOUSEHOLD = 4.2
LABOUR_PER_PERSON = 0.52
BATCH_YEARS = (2026, 2027, 2028)
FORMS = EMPLOYMENT_FORMS
FORM_WAGE = np.array([2400, 3200, 1500, 2800, 3600, 4900, 4200, 2300], dtype=float)
# share of households to whom each rights item applies, in RIGHTS_CODES order (R01..R15)
APPLICABLE = np.array([1.0, .07, .92, .75, .85, .88, .45, .25, 1.0, .48, 1.0, 1.0, .97, .13, .025])


class DemoError(RuntimeError):
    """Demo cannot be built here (message in Chinese)."""
