"""The blank ledger workbook offered for download (导入模板)."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from data.workbook import spec as S
from domain.rights import BLANK, MISSING_LABEL, STATUS_CHOICES

HEADER_FILL = "DDEBF7"
REQUIRED_FILL = "FCE4D6"
VALIDATION_ROWS = 20000


def write_template(path_or_buffer, counties: list[str] | None = None) -> None:
    """Write the template: one sheet per ledger with exact names and headers (required columns marked *),
    text-formatted ID/code columns, drop-down lists, frozen headers and a 填报说明 sheet.

    `counties`: county names for the 所属县 drop-down (optional)."""
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = S.INSTRUCTIONS_SHEET
    _write_guide(guide, counties)

    thin = Side(style="thin", color="9BA9B8")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for sheet in S.SHEETS:
        ws = wb.create_sheet(sheet.name)
        for j, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=j, value=col.title)
            cell.font = Font(bold=True, color="C00000" if col.required else "1F2937")
            cell.fill = PatternFill("solid", fgColor=REQUIRED_FILL if col.required else HEADER_FILL)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = border
            letter = get_column_letter(j)
            dim = ws.column_dimensions[letter]
            dim.width = max(col.width, len(col.title) * 1.8 + 2)
            if col.is_text_format:
                dim.number_format = "@"
            elif col.kind == S.DATE:
                dim.number_format = "yyyy-mm-dd"
            rng = f"{letter}2:{letter}{VALIDATION_ROWS}"
            choices = col.choices
            if col.kind == S.COUNTY and counties:
                choices = tuple(counties)
            if choices and len(",".join(choices)) <= 250:
                dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                    showErrorMessage=True, errorTitle="输入值无效",
                                    error="请从下拉列表中选择：" + "、".join(choices)[:200])
                dv.add(rng)
                ws.add_data_validation(dv)
            elif col.kind in (S.INT, S.FLOAT, S.PCT):
                lo = col.min if col.min is not None else -1e12
                hi = col.max if col.max is not None else 1e12
                dv = DataValidation(type="whole" if col.kind == S.INT else "decimal", operator="between",
                                    formula1=str(lo), formula2=str(hi), allow_blank=True, showErrorMessage=True,
                                    errorTitle="输入值无效",
                                    error=("请输入整数" if col.kind == S.INT else "请输入数字")
                                    + f"（{_n(lo)}–{_n(hi)}）")
                dv.add(rng)
                ws.add_data_validation(dv)
        ws.row_dimensions[1].height = 32
        ws.freeze_panes = "A2"
        ws.sheet_view.tabSelected = False
    guide.sheet_view.tabSelected = True
    if isinstance(path_or_buffer, (str, Path)):
        wb.save(str(path_or_buffer))
    else:
        wb.save(path_or_buffer)


def template_bytes(counties: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    write_template(buf, counties)
    return buf.getvalue()


def _n(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _kind_text(col: S.Column) -> str:
    if col.choices:
        return "可选：" + "、".join(col.choices) + ("；可空" if col.kind == S.RIGHT else "")
    return {
        S.CODE: "文本", S.TEXT: "文本", S.ID: "文本（18位身份证号）", S.INT: "整数", S.FLOAT: "数字",
        S.PCT: "百分数（0–100）", S.DATE: "日期（如 2026-09-12）", S.MONTH: "文本（YYYY-MM）",
        S.COUNTY: "县（市、区）名称",
    }.get(col.kind, "")


GENERAL_RULES = [
    "一、本模板用于各县（市、区）按月报送易地搬迁后续扶持台账。一个文件可只包含部分工作表，工作表名称不得修改；"
    "本次不填报的工作表请整张删除（保留空的工作表会被视为错误）。",
    "二、表头中带「*」的列为必填列；表头以外不要增加合并单元格。表头上方可保留标题行、填报单位等说明（不超过9行）。",
    "三、编码列（安置点编码、户编码、问题编号）和身份证号列必须设置为「文本」格式后再填写或粘贴，"
    "否则 Excel 会把身份证号变成 5.22301E+17 之类的数字，末尾几位丢失，导入时会被拒绝。",
    "四、有下拉列表的列只能填写列表中的值（如 是/否，已落实/未落实/不适用）。",
    "五、数字列只填数字，不要带单位；百分比按 0–100 填写（85 表示 85%）。日期填写为 2026-09-12 或 2026年9月12日。",
    "六、「搬迁户」「劳动力」为导入月份的台账快照：文件中出现的安置点，其本月已有的搬迁户和劳动力数据将被整体替换；"
    "未出现的安置点不受影响。「组织建设」「月度指标」按安置点和月份更新；「安置点」「问题整改」「跟进记录」按编码新增或更新。",
    "七、导入时会逐项校验，全部通过才会写入；有任何错误时不写入任何数据，并提供标注了错误单元格的文件供下载修改。"
    "警告不影响导入，但请核对。",
    "八、空行和合计行会被自动忽略。公式单元格须有计算结果（在 Excel 或 WPS 中保存过）。",
    f"九、权益事项列：{' / '.join(STATUS_CHOICES)}；空白表示{BLANK.label}，将列为{MISSING_LABEL}。",
]


def _write_guide(ws, counties) -> None:
    ws["A1"] = "易地搬迁后续扶持台账导入模板 · 填报说明"
    ws["A1"].font = Font(bold=True, size=14)
    r = 3
    for line in GENERAL_RULES:
        ws.cell(row=r, column=1, value=line).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.row_dimensions[r].height = 36
        r += 1
    if counties:
        ws.cell(row=r, column=1, value="可填写的县（市、区）：" + "、".join(counties))
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        r += 1
    r += 1
    head = ["工作表", "列名", "必填", "格式 / 可选值", "说明"]
    for j, h in enumerate(head, start=1):
        c = ws.cell(row=r, column=j, value=h)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor=HEADER_FILL)
    r += 1
    for sheet in S.SHEETS:
        ws.cell(row=r, column=1, value=sheet.name).font = Font(bold=True)
        ws.cell(row=r, column=5, value=sheet.description)
        r += 1
        for col in sheet.columns:
            ws.cell(row=r, column=2, value=col.header)
            ws.cell(row=r, column=3, value="是" if col.required else "")
            ws.cell(row=r, column=4, value=_kind_text(col))
            ws.cell(row=r, column=5, value=col.note)
            r += 1
    for letter, width in zip("ABCDE", (14, 28, 6, 48, 60)):
        ws.column_dimensions[letter].width = width
