"""Error-marked copy of an uploaded workbook: bad cells red, warnings yellow, a comment with the reason on each,
and a 错误清单 sheet listing every message."""
from __future__ import annotations

import io
from collections import defaultdict

from data.workbook.messages import ERROR, Message
from data.workbook.spec import ERRORS_SHEET

RED = "FFC7CE"
YELLOW = "FFEB9C"


def mark_workbook(data: bytes, messages: list[Message]) -> bytes | None:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data))
    except Exception:
        return None
    by_cell: dict[tuple[str, int, int], list[Message]] = defaultdict(list)
    for x in messages:
        if x.sheet is not None and x.row is not None and x.col_index is not None and x.sheet in wb.sheetnames:
            by_cell[(x.sheet, x.row, x.col_index)].append(x)
    red = PatternFill("solid", fgColor=RED)
    yellow = PatternFill("solid", fgColor=YELLOW)
    for (sheet, row, col), items in by_cell.items():
        ws = wb[sheet]
        cell = ws.cell(row=row, column=col + 1)
        if type(cell).__name__ == "MergedCell":
            continue
        is_error = any(x.level == ERROR for x in items)
        cell.fill = red if is_error else yellow
        text = "\n".join(f"【{x.level}】{x.reason}" for x in items)
        comment = Comment(text, "导入校验")
        comment.width, comment.height = 320, min(60 + 20 * len(items), 300)
        cell.comment = comment
    if ERRORS_SHEET in wb.sheetnames:
        del wb[ERRORS_SHEET]
    ws = wb.create_sheet(ERRORS_SHEET, 0)
    header = ["级别", "工作表", "行号", "列", "值", "原因"]
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    for x in messages:
        ws.append([x.level, x.sheet or "（文件）", x.row, x.column, x.value, x.reason])
        fill = red if x.level == ERROR else yellow
        ws.cell(row=ws.max_row, column=1).fill = fill
    for letter, width in zip("ABCDEF", (8, 14, 8, 22, 24, 70)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
