"""Error-marked copy of an uploaded workbook: bad cells red, warnings yellow, and a 错误清单 sheet listing every
message. Linear in the number of messages and cells.

- Small workbooks (sheet XML up to SMALL_XML bytes) go through openpyxl: fills plus a comment with the reason
  on each marked cell.
- Larger ones (a county's 100,000-row ledger with a wrong county in every row) would take openpyxl minutes and
  gigabytes, so their XML is rewritten while streaming: the marked rows' cells get a red/yellow clone of their
  style, every other byte is copied unchanged, and the 错误清单 sheet is written directly. No comments there
  (the 错误清单 sheet says so and gives each reason).

A file refused by the upload limits (data.workbook.limits) gets no marked copy: it is never expanded.

Formula injection: every value the copy adds (the 错误清单 sheet quotes the uploaded values, column and sheet names)
that starts with = + - @ tab or CR is an explicit text cell with a quote prefix, never a formula; so is every text
cell of the uploaded sheets that starts like one (openpyxl path). Formula cells the uploader wrote themselves stay
as they were in their own file.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from data.exports.layout import formula_like
from data.workbook.limits import col_letter, col_number
from data.workbook.messages import ERROR, Message
from data.workbook.reader import FileRejected, check_container, sheet_parts
from data.workbook.spec import ERRORS_SHEET

RED = "FFC7CE"
YELLOW = "FFEB9C"
HEADER = ["级别", "工作表", "行号", "列", "值", "原因"]
WIDTHS = (8, 14, 8, 22, 24, 70)
SMALL_XML = 8 * 1024 * 1024          # total worksheet XML handled by openpyxl
BIG_NOTE = ("说明：本文件较大，为保证速度，标注副本未添加批注：出错单元格已标红（警告标黄），"
            "每处问题的原因见本表「原因」列。")


def mark_workbook(data: bytes, messages: list[Message]) -> bytes | None:
    try:
        zf = check_container(data)  # limits first: never expand a refused file (cached for a checked file)
    except FileRejected:
        return None
    except Exception:
        return None
    sheet_xml = sum(i.file_size for i in zf.infolist() if i.filename.startswith("xl/worksheets/"))
    try:
        if sheet_xml <= SMALL_XML:
            return _mark_openpyxl(data, messages)
        return _mark_streaming(data, zf, messages)
    except Exception:
        return None


def _by_cell(messages: list[Message], sheets) -> dict[tuple[str, int, int], list[Message]]:
    by_cell: dict[tuple[str, int, int], list[Message]] = defaultdict(list)
    for x in messages:
        if x.sheet is not None and x.row is not None and x.col_index is not None and x.sheet in sheets:
            by_cell[(x.sheet, x.row, x.col_index)].append(x)
    return by_cell


def _row_values(x: Message) -> list:
    return [x.level, x.sheet or "（文件）", x.row, x.column, x.value, x.reason]


# ---- small workbooks: openpyxl ----

def _mark_openpyxl(data: bytes, messages: list[Message]) -> bytes | None:
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data))
    except Exception:
        return None
    red = PatternFill("solid", fgColor=RED)
    yellow = PatternFill("solid", fgColor=YELLOW)
    for (sheet, row, col), items in _by_cell(messages, set(wb.sheetnames)).items():
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
    ws.append(HEADER)
    for c in ws[1]:
        c.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, x in enumerate(messages, start=2):  # row numbers counted here: ws.max_row is O(cells) per call
        ws.append(_row_values(x))
        ws.cell(row=i, column=1).fill = red if x.level == ERROR else yellow
        ws.cell(row=i, column=6).alignment = wrap
    for letter, width in zip("ABCDEF", WIDTHS):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    _inert(wb, ws)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _inert(wb, listing) -> None:
    """Formula-like values as text cells with a quote prefix: all of the 错误清单 sheet (openpyxl made a formula of
    any appended value starting with '='), and the uploaded sheets' text cells (their own formulas are kept)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if not formula_like(cell.value) or (cell.data_type == "f" and ws is not listing):
                    continue
                cell.data_type = "s"
                cell.quotePrefix = True


# ---- large workbooks: streaming XML rewrite ----

_FILL_BLOCK = re.compile(rb'<((?:\w+:)?)fills\b[^>]*?count="(\d+)"[^>]*>(.*?)</(?:\w+:)?fills>', re.S)
_XFS_BLOCK = re.compile(rb'<((?:\w+:)?)cellXfs\b([^>]*?)count="(\d+)"([^>]*)>(.*?)</(?:\w+:)?cellXfs>', re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b[^>]*?(?:/>|>.*?</(?:\w+:)?xf>)", re.S)
_ROW_OPEN = re.compile(rb'<((?:\w+:)?)row r="(\d+)"[^>]*?(/?)>')
_CELL = re.compile(rb'<((?:\w+:)?)c r="([A-Z]{1,3})(\d+)"([^>]*?)(/?)>')
_S_ATTR = re.compile(rb'\ss="(\d+)"')
CHUNK = 8 * 1024 * 1024


class _Styles:
    """styles.xml with a red and a yellow fill added, and fill clones of the cell formats in use."""

    def __init__(self, xml: bytes | None):
        self.xml, self.ok = xml, False
        self.clones: dict[tuple[int, bool] | str, int] = {}
        self.new_xfs: list[bytes] = []
        if not xml:
            return
        fills, xfs = _FILL_BLOCK.search(xml), _XFS_BLOCK.search(xml)
        if not fills or not xfs:
            return
        self.prefix = fills.group(1)
        self.n_fills = int(fills.group(2))
        self.xfs = _XF.findall(xfs.group(5))
        if not self.xfs:
            return
        self.ok = True

    def style(self, original: int, error: bool) -> int:
        key = (original, error)
        if key not in self.clones:
            base = self.xfs[original] if 0 <= original < len(self.xfs) else self.xfs[0]
            fill = str(self.n_fills + (0 if error else 1)).encode()
            head_end = base.find(b">")
            head, rest = base[:head_end], base[head_end:]
            head = re.sub(rb'\s(fillId|applyFill)="[^"]*"', b"", head)
            if head.endswith(b"/"):
                head, rest = head[:-1], b"/" + rest
            self.new_xfs.append(head + b' fillId="' + fill + b'" applyFill="1"' + rest)
            self.clones[key] = len(self.xfs) + len(self.new_xfs) - 1
        return self.clones[key]

    def text_style(self) -> int | None:
        """A clone of the default cell format with a quote prefix (a text cell Excel never evaluates)."""
        if not self.ok:
            return None
        if "text" not in self.clones:
            base = self.xfs[0]
            head_end = base.find(b">")
            head, rest = base[:head_end], base[head_end:]
            head = re.sub(rb'\squotePrefix="[^"]*"', b"", head)
            if head.endswith(b"/"):
                head, rest = head[:-1], b"/" + rest
            self.new_xfs.append(head + b' quotePrefix="1"' + rest)
            self.clones["text"] = len(self.xfs) + len(self.new_xfs) - 1
        return self.clones["text"]

    def result(self) -> bytes | None:
        if not self.ok:
            return self.xml
        p = self.prefix
        fill = (b"<%sfill><%spatternFill patternType=\"solid\"><%sfgColor rgb=\"FF%s\"/><%sbgColor indexed=\"64\"/>"
                b"</%spatternFill></%sfill>")
        new_fills = b"".join(fill % (p, p, p, c.encode(), p, p, p) for c in (RED, YELLOW))
        xml = self.xml
        m = _FILL_BLOCK.search(xml)
        block = m.group(0)
        block = block.replace(b'count="%d"' % self.n_fills, b'count="%d"' % (self.n_fills + 2), 1)
        close = block.rfind(b"</")
        block = block[:close] + new_fills + block[close:]
        xml = xml[:m.start()] + block + xml[m.end():]
        m = _XFS_BLOCK.search(xml)
        block = m.group(0)
        total = len(self.xfs) + len(self.new_xfs)
        block = re.sub(rb'count="\d+"', b'count="%d"' % total, block, count=1)
        close = block.rfind(b"</")
        block = block[:close] + b"".join(self.new_xfs) + block[close:]
        return xml[:m.start()] + block + xml[m.end():]


def _mark_rows(xml_chunks, marks: dict[int, dict[int, bool]], styles: _Styles):
    """Sheet XML with the marked cells restyled (cells missing from a marked row inserted); rows not marked
    are copied as they are."""
    carry = b""
    first = True
    for chunk in xml_chunks:
        buf = carry + chunk if carry else chunk
        end = buf.rfind(b"row>") + 4  # after the last complete row
        if end == 3:
            carry = buf
            continue
        body, carry = buf[:end], buf[end:]
        if first:
            body = body.replace(b'tabSelected="1"', b'tabSelected="0"', 1)
            first = False
        yield _mark_body(body, marks, styles)
    if carry:
        if first:
            carry = carry.replace(b'tabSelected="1"', b'tabSelected="0"', 1)
        yield _mark_body(carry, marks, styles)


def _mark_body(body: bytes, marks: dict[int, dict[int, bool]], styles: _Styles) -> bytes:
    out = []
    pos = 0
    for m in _ROW_OPEN.finditer(body):
        row = int(m.group(2))
        cols = marks.get(row)
        if not cols:
            continue
        p = m.group(1)
        if m.group(3):  # <row r="5"/>: no cells at all
            inner_start = inner_end = m.end()
            close = b"</" + p + b"row>"
            head = body[m.start():m.end() - 2] + b">"
        else:
            inner_start = m.end()
            inner_end = body.find(b"</" + p + b"row>", inner_start)
            if inner_end < 0:
                continue
            close, head = b"", body[m.start():m.end()]
        out.append(body[pos:m.start()])
        out.append(head)
        out.append(_mark_cells(body[inner_start:inner_end], row, cols, styles, p))
        out.append(close)
        pos = inner_end
    out.append(body[pos:])
    return b"".join(out)


def _mark_cells(inner: bytes, row: int, cols: dict[int, bool], styles: _Styles, p: bytes) -> bytes:
    """The row's cells with the marked ones restyled. Each marked cell is found by its reference (one search
    per marked cell, not per cell of the row); a marked cell missing from the row is inserted in column
    order."""
    suffix = b"%d" % row
    edits: list[tuple[int, int, bytes]] = []
    missing = []
    for k in sorted(cols):
        ref = col_letter(k + 1).encode() + suffix
        start = inner.find(b'<' + p + b'c r="' + ref + b'"')
        if start < 0:
            missing.append(k)
            continue
        end = inner.find(b">", start)
        tag = inner[start:end]
        closing = tag.endswith(b"/")
        body = tag[:-1] if closing else tag
        s = _S_ATTR.search(body)
        new = styles.style(int(s.group(1)) if s else 0, cols[k])
        body = _S_ATTR.sub(b"", body) + b' s="%d"' % new
        edits.append((start, end, body + (b"/" if closing else b"")))
    if missing:  # insert before the first cell of a greater column
        cells = [(col_number(m.group(2)) - 1, m.start()) for m in _CELL.finditer(inner)]
        for k in missing:
            at = next((pos for c, pos in cells if c > k), len(inner))
            edits.append((at, at, b'<%sc r="%s" s="%d"/' % (p, col_letter(k + 1).encode() + suffix,
                                                             styles.style(0, cols[k])) + b">"))
    out, pos = [], 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(inner[pos:start])
        out.append(text)
        pos = end
    out.append(inner[pos:])
    return b"".join(out)


def _errors_sheet(messages: list[Message], styles: _Styles) -> bytes:
    red = f' s="{styles.style(0, True)}"' if styles.ok else ""
    yellow = f' s="{styles.style(0, False)}"' if styles.ok else ""
    quoted = f' s="{styles.text_style()}"' if styles.ok else ""

    def text(ref: str, value) -> str:
        if value is None or value == "":
            return ""
        style = quoted if formula_like(str(value)) else ""      # an inline string, quote-prefixed when it looks
        return (f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is>'
                '</c>')                                         # like a formula

    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
             'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>']
    parts += [f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(WIDTHS, 1)]
    parts.append('</cols><sheetData><row r="1">')
    parts += [text(f"{col_letter(i)}1", h) for i, h in enumerate(HEADER, 1)]
    parts.append(text("H1", BIG_NOTE))
    parts.append("</row>")
    for r, x in enumerate(messages, start=2):
        level = red if x.level == ERROR else yellow
        row = "" if x.row is None else f'<c r="C{r}"><v>{int(x.row)}</v></c>'
        parts.append(f'<row r="{r}"><c r="A{r}"{level} t="inlineStr"><is><t>{x.level}</t></is></c>'
                     f'{text(f"B{r}", x.sheet or "（文件）")}{row}'
                     f'{text(f"D{r}", x.column)}{text(f"E{r}", x.value)}{text(f"F{r}", x.reason)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode("utf-8")


# XML escaping and characters XML 1.0 cannot hold, in one translate
_XML_TABLE = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;",
              **{c: "\ufffd" for c in [*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF]}}


def _xml_text(value) -> str:
    return str(value).translate(_XML_TABLE)


def _mark_streaming(data: bytes, zf: zipfile.ZipFile, messages: list[Message]) -> bytes | None:
    parts = sheet_parts(zf)  # sheet name -> member
    names = set(zf.namelist())
    marks: dict[str, dict[int, dict[int, bool]]] = defaultdict(lambda: defaultdict(dict))
    for (sheet, row, col), items in _by_cell(messages, set(parts)).items():
        marks[parts[sheet]][row][col] = any(x.level == ERROR for x in items)
    styles = _Styles(zf.read("xl/styles.xml") if "xl/styles.xml" in names else None)
    errors_xml = _errors_sheet(messages, styles)

    wb_xml = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    types = zf.read("[Content_Types].xml")
    existing = parts.get(ERRORS_SHEET)
    if existing:  # a marked copy uploaded again: its 错误清单 sheet is replaced
        target = existing
    else:
        target = "xl/worksheets/sheet_errors.xml"
        rid = "rIdErrors1"
        rels = rels.replace(b"</Relationships>", (
            f'<Relationship Id="{rid}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="/{target}"/></Relationships>').encode())
        types = types.replace(b"</Types>", (
            f'<Override PartName="/{target}" ContentType="application/vnd.openxmlformats-officedocument.'
            f'spreadsheetml.worksheet+xml"/></Types>').encode())
        ids = [int(x) for x in re.findall(rb'sheetId="(\d+)"', wb_xml)] or [0]
        sheets_open = re.search(rb"<((?:\w+:)?)sheets>", wb_xml)
        r_prefix = re.search(rb'<(?:\w+:)?sheet\b[^>]*?\s(\w+):id="', wb_xml)
        rp = r_prefix.group(1) if r_prefix else b"r"
        entry = b'<%ssheet xmlns:%s="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' \
                b'name="%s" sheetId="%d" %s:id="%s"/>' % (sheets_open.group(1), rp, ERRORS_SHEET.encode(),
                                                         max(ids) + 1, rp, rid.encode())
        wb_xml = wb_xml[:sheets_open.end()] + entry + wb_xml[sheets_open.end():]
        wb_xml = re.sub(rb'localSheetId="(\d+)"', lambda m: b'localSheetId="%d"' % (int(m.group(1)) + 1), wb_xml)
    wb_xml = re.sub(rb'\sactiveTab="\d+"', b"", wb_xml)
    wb_xml = re.sub(rb'\sfirstSheet="\d+"', b"", wb_xml)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in zf.infolist():
            name = info.filename
            if name == "xl/workbook.xml":
                dst.writestr(name, wb_xml)
            elif name == "xl/_rels/workbook.xml.rels":
                dst.writestr(name, rels)
            elif name == "[Content_Types].xml":
                dst.writestr(name, types)
            elif name == "xl/styles.xml":
                continue  # written last: clones are added while the sheets are marked
            elif name == target:
                dst.writestr(name, errors_xml)
            elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                zi = zipfile.ZipInfo(name, info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info) as src, dst.open(zi, "w", force_zip64=True) as w:
                    chunks = iter(lambda: src.read(CHUNK), b"")
                    for piece in _mark_rows(chunks, marks.get(name, {}) if styles.ok else {}, styles):
                        w.write(piece)
            else:
                dst.writestr(info, zf.read(info))
        if not existing:
            dst.writestr(target, errors_xml)
        if "xl/styles.xml" in names:
            dst.writestr("xl/styles.xml", styles.result())
    return out.getvalue()
