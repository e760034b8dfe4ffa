"""The monthly circular as an Excel workbook: sheets 通报正文, 县区进展 and 安置点排名."""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from data.exports.circular import CircularData, interview_groups, reason_text
from data.exports.layout import RANK_INTERVAL_NOTE, completeness_note, legend, mask_id_columns
from data.exports.sheet import (BORDER, FILL_LABEL, TITLE_FONT_NAME, cell_font, lines_needed, merged_line, page_setup,
                                save, write_table_sheet)



def _span_units(ws: Worksheet, first: int, last: int) -> float:
    """Display width (half-width characters, less the cell's padding) of columns first..last."""
    return sum(ws.column_dimensions[get_column_letter(j)].width or 8.43 for j in range(first, last + 1)) - 2

ONE_PAGE_ROWS = 60          # a summary sheet of at most this many rows is printed on one page

def _write_body_sheet(ws: Worksheet, c: CircularData) -> None:
    n = 8
    for j in range(1, n + 1):
        ws.column_dimensions[get_column_letter(j)].width = 17
    total_w = 17 * n
    r = 1
    merged_line(ws, r, n, c.title, font=cell_font(18, True, TITLE_FONT_NAME),
                 height=max(36, 28 * lines_needed(c.title, total_w / 1.8)))
    r += 1
    if c.issue_line not in c.title:
        merged_line(ws, r, n, c.issue_line, font=cell_font(12), height=22)
        r += 1
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n // 2)
    ws.merge_cells(start_row=r, start_column=n // 2 + 1, end_row=r, end_column=n)
    a = ws.cell(row=r, column=1, value=c.issuer)
    b = ws.cell(row=r, column=n // 2 + 1, value=c.issue_date_cn)
    for cell, h in ((a, "left"), (b, "right")):
        cell.font = cell_font(12)
        cell.alignment = Alignment(horizontal=h, vertical="center")
        cell.border = Border(bottom=Side(style="medium", color="C00000"))
    for j in range(1, n + 1):
        ws.cell(row=r, column=j).border = Border(bottom=Side(style="medium", color="C00000"))
    ws.row_dimensions[r].height = 22
    r += 1
    merged_line(ws, r, n, c.meta_line, font=cell_font(10, color="C00000" if c.demo else None), height=18)

    def heading(text: str) -> None:
        nonlocal r
        r += 2
        merged_line(ws, r, n, text, font=cell_font(13, True, TITLE_FONT_NAME), align="left", height=24)

    def para(text: str, *, indent: bool = True) -> None:
        nonlocal r
        r += 1
        merged_line(ws, r, n, ("　　" if indent else "") + text, font=cell_font(11), align="left",
                     height=18 * lines_needed(text, total_w - 4) + 4)

    heading("一、总体情况")
    para(f"截至{c.cutoff_cn}，{c.whole}易地搬迁后续扶持主要指标如下：")
    items = list(c.city_totals.items())
    per_row = max(1, n // 2)
    n_rows = -(-len(items) // per_row)
    per_row = -(-len(items) // n_rows) if n_rows else per_row      # balanced rows (5+5, not 8+2)
    for k in range(0, len(items), per_row):
        r += 1
        row_items = items[k:k + per_row]
        # the pairs of a row share all n columns (a short last row is widened, never left with empty cells)
        bounds = [round(i * n / len(row_items)) for i in range(len(row_items) + 1)]
        for p, (label, value) in enumerate(row_items):
            first, last = bounds[p] + 1, bounds[p + 1]
            mid = first + max(1, (last - first + 1) // 2) - 1
            lc = ws.cell(row=r, column=first, value=str(label))
            vc = ws.cell(row=r, column=mid + 1, value=str(value))
            lc.fill = FILL_LABEL
            lc.font = cell_font(10.5, True)
            vc.font = cell_font(10.5)
            for col in range(first, last + 1):
                cell = ws.cell(row=r, column=col)
                cell.border = BORDER
                if col <= mid:
                    cell.fill = FILL_LABEL
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if mid > first:
                ws.merge_cells(start_row=r, start_column=first, end_row=r, end_column=mid)
            if last > mid + 1:
                ws.merge_cells(start_row=r, start_column=mid + 1, end_row=r, end_column=last)
        # as many lines as the longest text needs in its own (merged) width: no tall empty rows
        lines = 1
        for p, (label, value) in enumerate(row_items):
            first, last = bounds[p] + 1, bounds[p + 1]
            mid = first + max(1, (last - first + 1) // 2) - 1
            lines = max(lines, lines_needed(str(label), _span_units(ws, first, mid)),
                        lines_needed(str(value), _span_units(ws, mid + 1, last)))
        ws.row_dimensions[r].height = 16 * lines + 6

    heading("二、进度滞后县（市、区）及原因")
    if c.lagging:
        for i, (county, reasons) in enumerate(c.lagging, start=1):
            para(f"{i}. {county}：{c.say(reason_text(reasons))}")
    else:
        para("本月无进度滞后的县（市、区）。")

    heading("三、约谈建议")
    groups = interview_groups(c)
    if groups:
        for level, counties in groups:
            para(f"{level}：{'、'.join(counties)}。")
    else:
        para("本月无建议约谈的县（市、区）。")

    heading("四、争先进位")
    if c.praise:
        para(f"本月县均得分较上月上升较多的县（市、区）：{'、'.join(c.praise)}，予以通报表扬。")
    else:
        para("本月无。")

    if c.followup:
        heading("五、四个跟进落实情况")
        for i, text in enumerate(c.followup, start=1):
            para(f"{i}. {c.say(text)}")
        if c.interview_cases is not None and len(c.interview_cases):
            para("约谈案件落实情况见“约谈落实”工作表（浅红底色：上期建议约谈、至今仍待约谈）。")

    heading("附表")
    para("附表1：各县（市、区）进展情况（见“县区进展”工作表）；附表2：安置点五好社区创建排名（见“安置点排名”工作表）。")
    # the summary fits one page when it is about a page long (not a page plus the 四个跟进 lines on a second one)
    page_setup(ws, title_rows=None, last_row=r, last_col=n, one_page=r <= ONE_PAGE_ROWS)
    ws.sheet_view.showGridLines = False


def circular_workbook(c: CircularData) -> bytes:
    """Excel circular: sheets 通报正文, 县区进展 (flagged counties filled), 安置点排名 (not 达标 filled)."""
    wb = Workbook()
    body = wb.active
    body.title = "通报正文"
    _write_body_sheet(body, c)

    ct = c.county_table.reset_index(drop=True)
    cflags = c.county_flags()
    ws = wb.create_sheet("县区进展")
    notes = []
    if any(cflags):
        notes.append("浅红底色：本月进度滞后的县（市、区）。")
    notes.append("达标/序时：五好达标安置点数 / 按创建计划应达到的序时进度；较上月：县均得分较上月变化。")
    write_table_sheet(ws, ct, title=f"{c.city_name}各县（市、区）易地搬迁后续扶持工作进展情况（{c.month_cn}）",
                      subtitle=c.meta_line, footnotes=notes, highlight=cflags)

    st = mask_id_columns(c.site_table.reset_index(drop=True))
    sflags = c.site_flags()
    ws = wb.create_sheet("安置点排名")
    notes = []
    if "排名区间" in st.columns:
        notes.append("注：" + RANK_INTERVAL_NOTE)
    if completeness_note(st):
        notes.append(completeness_note(st))
    if any(sflags):
        notes.append(legend(c.site_flagged is None, "达标"))
    write_table_sheet(ws, st, title=f"{c.city_name}易地搬迁安置点五好社区创建排名（{c.month_cn}）",
                      subtitle=c.meta_line, footnotes=notes, highlight=sflags)
    if c.interview_cases is not None and len(c.interview_cases):
        ws = wb.create_sheet("约谈落实")
        notes = ["状态为截至本月末的情况；已整改：约谈后，案件所在月份末尚未销号的该县整改问题已全部销号。"]
        if any(c.interview_late):
            notes.insert(0, "浅红底色：上期建议约谈、至今仍待约谈的县（市、区）。")
        write_table_sheet(ws, c.interview_cases.reset_index(drop=True),
                          title=f"{c.city_name}约谈案件落实情况（{c.month_cn}）", subtitle=c.meta_line,
                          footnotes=notes, highlight=list(c.interview_late))
    wb.properties.title = c.title
    return save(wb)
