"""Ledger workbook (台账导入模板): template, reader, validation, import and the error-marked copy.

Public API:
- `write_template(path_or_buffer, counties=None)` / `template_bytes()`
- `import_workbook(engine, file_bytes, file_name, month, user) -> ImportResult`
- `ImportUser(username, role, county_code)`, `Message`, `mark_workbook(data, messages)`
"""
from data.workbook.importer import FAILED, SUCCESS, UNCHANGED, ImportResult, import_workbook
from data.workbook.marked import mark_workbook
from data.workbook.messages import ERROR, WARNING, Message
from data.workbook.reader import DEFAULT_MAX_BYTES
from data.workbook.spec import SHEET_NAMES, SHEETS
from data.workbook.template import template_bytes, write_template
from data.workbook.validate import ROLE_ADMIN, ROLE_COUNTY, ROLE_LEADER, ROLE_SUPERVISOR, ImportUser

__all__ = ["import_workbook", "ImportResult", "ImportUser", "Message", "ERROR", "WARNING", "write_template",
           "template_bytes", "mark_workbook", "SHEETS", "SHEET_NAMES", "DEFAULT_MAX_BYTES", "SUCCESS", "FAILED",
           "UNCHANGED", "ROLE_ADMIN", "ROLE_COUNTY", "ROLE_LEADER", "ROLE_SUPERVISOR"]
