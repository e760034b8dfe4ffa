"""Labour ledger vocabulary (domain.md §4 derived definitions): employment status and form.

The forms 帮扶车间 and 园区企业 count as absorbed by the site's workshops and parks (indicator I2).
"""
from __future__ import annotations

from dataclasses import dataclass

EMPLOYED, UNEMPLOYED = "已就业", "未就业"
EMPLOYMENT_STATUSES: tuple[str, str] = (EMPLOYED, UNEMPLOYED)


@dataclass(frozen=True)
class EmploymentForm:
    label: str
    workshop: bool        # counts for I2 (车间及园区吸纳)


EMPLOYMENT_FORMS_REGISTRY: tuple[EmploymentForm, ...] = (
    EmploymentForm("帮扶车间", True),
    EmploymentForm("园区企业", True),
    EmploymentForm("公益性岗位", False),
    EmploymentForm("县内务工", False),
    EmploymentForm("省内县外务工", False),
    EmploymentForm("省外务工", False),
    EmploymentForm("自主创业", False),
    EmploymentForm("灵活就业", False),
)
EMPLOYMENT_FORMS: tuple[str, ...] = tuple(f.label for f in EMPLOYMENT_FORMS_REGISTRY)
WORKSHOP_FORMS: tuple[str, ...] = tuple(f.label for f in EMPLOYMENT_FORMS_REGISTRY if f.workshop)
