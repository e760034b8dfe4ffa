"""Reading a ledger workbook: file checks, calamine reading, header location, blank/total row skipping and
detection of formulas without a cached value.

Only python-calamine reads; openpyxl is used for writing (template, marked copy).
"""
from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, replace
from posixpath import join as pjoin, normpath

import numpy as np
import python_calamine as pc

from data.workbook import limits as L
from data.workbook import spec as S
from data.workbook.limits import Limits
from data.workbook.messages import WARNING, Message, has_invisible, invisible_char, msg

DEFAULT_MAX_BYTES = Limits.from_env().max_bytes
HEADER_SEARCH_ROWS = 10
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

_TOTAL = re.compile(r"^(全[市州县区省]|本页|总)?(合计|总计|小计|总合计)[:：]?$")
_FOOTER = re.compile(r"^(填表人|填报人|审核人|负责人|制表人|制表|联系人|联系电话|单位负责人|审核|备注|说明|注)\s*[:：]")
_SILENT_HEADERS = {"序号", "备注", "说明", "序"}


class FileRejected(Exception):
    """The file cannot be read as an .xlsx workbook at all."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_fmt_size = L.fmt_size


def check_container(data: bytes, max_bytes: int | None = None, limits: Limits | None = None) -> zipfile.ZipFile:
    """The opened zip of an .xlsx file, or FileRejected with the reason in Chinese.

    Before anything is parsed, the archive is checked against the upload limits (data.workbook.limits): file
    size, declared and actual uncompressed sizes, compression ratios and the rows/columns/cells each worksheet
    expands to (streamed, memory bounded)."""
    limits = limits or Limits.from_env()
    if max_bytes is not None and max_bytes != limits.max_bytes:
        limits = replace(limits, max_bytes=max_bytes)
    key = (hashlib.sha256(data).digest(), limits)
    if key in _CHECKED:  # the same file checked a moment ago (the import, then its marked copy)
        return zipfile.ZipFile(io.BytesIO(data))
    zf = _check_container(data, limits)
    _CHECKED[key] = True
    try:
        while len(_CHECKED) > 8:
            _CHECKED.pop(next(iter(_CHECKED)), None)
    except RuntimeError:  # another session changed it meanwhile
        pass
    return zf


_CHECKED: dict = {}


def _check_container(data: bytes, limits: Limits) -> zipfile.ZipFile:
    max_bytes = limits.max_bytes
    if not data:
        raise FileRejected("文件为空（0 字节），请重新选择或重新保存后上传")
    if len(data) > max_bytes:
        raise FileRejected(f"文件大小 {_fmt_size(len(data))} 超过上限 {_fmt_size(max_bytes)}，"
                           f"请拆分为多个文件分别导入")
    if data[:8] == CFB_MAGIC:
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise FileRejected("文件已加密，请取消密码后再上传")
        raise FileRejected("不是 .xlsx 文件（可能是旧版 .xls 格式），请在 Excel 或 WPS 中另存为"
                           "「Excel 工作簿（*.xlsx）」后再上传")
    if data[:4] != ZIP_MAGIC:
        head = data[:512]
        kind = ""
        if head.lstrip().lower().startswith((b"<html", b"<!doctype", b"<?xml", b"<table")):
            kind = "（内容为网页或 XML 文本）"
        elif head[:4] == b"%PDF":
            kind = "（内容为 PDF）"
        elif _looks_like_text(head):
            kind = "（内容为文本，可能是 CSV 改了扩展名）"
        raise FileRejected(f"不是有效的 .xlsx 文件{kind}，请使用导入模板填写，并保存为「Excel 工作簿（*.xlsx）」")
    count = L.member_count(data)
    if count is not None and (count > L.MAX_MEMBERS or count == 0xFFFF):
        raise FileRejected(f"文件异常：压缩包内有 {count:,} 个部件（正常的台账不超过数百个），"
                           f"疑似恶意构造的文件，已拒绝")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
    except Exception:  # BadZipFile, OSError, EOFError, NotImplementedError, ... of a damaged archive
        raise FileRejected(_DAMAGED) from None
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names or "ppt/presentation.xml" in names:
            raise FileRejected("不是 Excel 工作簿（是 Word 或 PowerPoint 文件），请上传 .xlsx 文件")
        raise FileRejected("不是有效的 .xlsx 文件（压缩包中没有工作簿内容），请上传 .xlsx 文件")
    try:
        L.check_declared(zf, limits)
        for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            if part in names and zf.getinfo(part).file_size > L.MAX_WORKBOOK_PART:
                raise L.LimitExceeded("文件异常：工作簿目录部件过大，疑似恶意构造的文件，已拒绝")
        sheets = {member: name for name, member in sheet_parts(zf).items()}
        L.check_archive(data, zf, sheets, limits)
    except L.LimitExceeded as e:
        raise FileRejected(e.reason) from None
    except Exception:  # a damaged archive (truncated headers, bad deflate data, unsupported versions)
        raise FileRejected(_DAMAGED) from None
    return zf


_DAMAGED = "文件已损坏或不完整（可能上传或保存时中断），请重新保存后再上传"


def _looks_like_text(head: bytes) -> bool:
    for enc in ("utf-8", "gb18030", "utf-16"):
        try:
            head.decode(enc)
            return True
        except UnicodeDecodeError:
            continue
    return False


def open_calamine(data: bytes) -> pc.CalamineWorkbook:
    try:
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise FileRejected("文件已加密，请取消密码后再上传") from None
    except Exception:
        raise FileRejected("文件已损坏或无法读取，请在 Excel 或 WPS 中打开后重新保存为 .xlsx 再上传") from None


# ---- formulas without cached values ----

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_HAS_F = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]+)</(?:\w+:)?v>|<(?:\w+:)?is>")


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member of its XML."""
    try:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:
        return {}
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    out = {}
    for sh in wb.findall("m:sheets/m:sheet", _NS):
        target = targets.get(sh.get(f"{{{_NS['r']}}}id"))
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else normpath(pjoin("xl", target))
        out[sh.get("name")] = path
    return out


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


_TAG_END = frozenset(b" >/\t\r\n")


def has_formula_tag(buf: bytes) -> bool:
    """True if the XML holds an <f> element (also namespaced, <x:f>). Uses single-byte find (memchr), so it is
    fast on sheets whose XML rarely contains the letter f."""
    pos = buf.find(b"f", 1)
    while pos != -1:
        prev = buf[pos - 1]
        if pos + 1 < len(buf) and buf[pos + 1] in _TAG_END:
            if prev == 0x3C:  # '<'
                return True
            if prev == 0x3A and re.search(rb"<[A-Za-z_][\w.-]*:$", buf[max(0, pos - 40):pos]):  # '<x:'
                return True
        pos = buf.find(b"f", pos + 1)
    return False


def formula_cells_without_value(zf: zipfile.ZipFile, member: str) -> set[tuple[int, int]]:
    """(row, col) 0-based of formula cells that carry no cached value. Streams the sheet XML looking for a
    formula tag at all (cheap), and parses cells only when one occurs."""
    try:
        info = zf.getinfo(member)
    except KeyError:
        return set()
    found = False
    with zf.open(info) as fh:
        tail = b""
        while True:
            chunk = fh.read(8 << 20)
            if not chunk:
                break
            if has_formula_tag(tail + chunk):
                found = True
                break
            tail = chunk[-48:]
    if not found:
        return set()
    xml = zf.read(info)
    out = set()
    for attrs, body in _CELL.findall(xml):
        if not body or not _HAS_F.search(body):
            continue
        if _VALUE.search(body):
            continue
        m = _REF.search(attrs)
        if m:
            out.add((int(m.group(2)) - 1, _col_index(m.group(1))))
    return out


# ---- header location ----

@dataclass
class SheetFrame:
    """Data of one known sheet: the mapped columns of the data rows (blank, total and footer rows removed)."""
    name: str                        # as in the file
    spec: S.Sheet
    header_row: int                  # Excel row number of the (last) header row
    columns: dict[str, int]          # key -> 0-based column in the file
    headers: dict[str, str]          # key -> header text as in the file
    rows: np.ndarray                 # Excel row numbers of the data rows
    cells: dict[str, np.ndarray]     # key -> object array of raw values (calamine types; '' = empty)

    def __len__(self) -> int:
        return len(self.rows)

    def header_of(self, key: str) -> str:
        return self.headers.get(key) or self.spec.column(key).header

    def col_of(self, key: str) -> int | None:
        return self.columns.get(key)


def _fill_merged(top: list[list], merged) -> None:
    height = len(top)
    for (r0, c0), (r1, c1) in merged or ():
        if r0 >= height:
            continue
        row = top[r0]
        if c0 >= len(row):
            continue
        value = row[c0]
        if value in ("", None):
            continue
        for r in range(r0, min(r1, height - 1) + 1):
            for c in range(c0, min(c1, len(top[r]) - 1) + 1):
                if top[r][c] in ("", None):
                    top[r][c] = value


def _text(v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def locate_header(top: list[list], sheet: S.Sheet):
    """(header_rows, mapping key->(col, text), duplicates [(key, col, text)], unmatched [(col, text)]) or None."""
    idx = S.header_index(sheet)
    n = min(HEADER_SEARCH_ROWS, len(top))
    scores = []
    for r in range(n):
        keys = {idx.match(v) for v in top[r] if isinstance(v, str)} - {None}
        scores.append(len(keys))
    if not scores or max(scores) == 0:
        return None
    best = scores.index(max(scores))

    def mapping_for(rows: list[int]):
        width = max(len(top[r]) for r in rows)
        found: dict[str, tuple[int, str]] = {}
        dups, unmatched = [], []
        upper = None
        if len(rows) == 2:  # forward-fill the group row for "group + sub-header" names
            upper, last = [], ""
            for c in range(width):
                v = _text(top[rows[0]][c]) if c < len(top[rows[0]]) else ""
                last = v or last
                upper.append(v or last)
        for c in range(width):
            cands = []
            lower = _text(top[rows[-1]][c]) if c < len(top[rows[-1]]) else ""
            if lower:
                cands.append(lower)
            if upper is not None:
                up_own = _text(top[rows[0]][c]) if c < len(top[rows[0]]) else ""
                if upper[c] and lower:
                    cands.append(upper[c] + lower)
                if up_own and up_own != lower:
                    cands.append(up_own)
            key = text = None
            for t in cands:
                k = idx.match(t)
                if k:
                    key, text = k, t
                    break
            if key is None:
                label = lower or (_text(top[rows[0]][c]) if upper is not None and c < len(top[rows[0]]) else "")
                if label:
                    unmatched.append((c, label))
                continue
            if key in found:
                dups.append((key, c, text))
            else:
                found[key] = (c, text)
        return found, dups, unmatched

    options = [[best]]
    if best + 1 < len(top):
        options.append([best, best + 1])
    if best >= 1:
        options.append([best - 1, best])
    results = [(rows, *mapping_for(rows)) for rows in options]
    base = len(results[0][1])
    chosen = results[0]
    for res in results[1:]:
        if len(res[1]) > base and len(res[1]) > len(chosen[1]):
            chosen = res
    return chosen


def read_sheet(book: pc.CalamineWorkbook, name: str, sheet: S.Sheet):
    """(SheetFrame | None, messages). Formula cells without a cached value read as empty here; they are found
    separately (`formula_cells_without_value`) and reported by `validate.apply_formula_cells`."""
    messages: list[Message] = []
    try:
        ws = book.get_sheet_by_name(name)
        rows = ws.to_python(skip_empty_area=False)
        merged = ws.merged_cell_ranges
    except Exception:
        return None, [msg(name, None, None, None, "工作表无法读取（文件可能已损坏），请重新保存后再上传")]
    top = [list(r) for r in rows[:HEADER_SEARCH_ROWS + 1]]
    _fill_merged(top, merged)
    located = locate_header(top, sheet)
    if located is None:
        required = "、".join(c.header for c in sheet.columns if c.required)
        messages.append(msg(name, None, None, None,
                            f"前{HEADER_SEARCH_ROWS}行中未找到表头，表头应包含：{required}"))
        return None, messages
    header_rows, found, dups, unmatched = located
    header_row = header_rows[-1] + 1
    for key, c, text in dups:
        first_c, _ = found[key]
        messages.append(msg(name, header_row, text, None,
                            f"列「{sheet.column(key).header}」重复出现（第{_letter(first_c)}列与第{_letter(c)}列），"
                            f"请删除多余的列", col_index=c))
    for c, text in unmatched:
        if S.norm_bare(text) in _SILENT_HEADERS:
            continue
        messages.append(msg(name, header_row, text, None, "未识别的列，已忽略", WARNING, col_index=c))
    for col in sheet.columns:
        if col.key in found:
            continue
        if col.required and not (sheet is S.REPORTED and col.key == "month"):
            messages.append(msg(name, header_row, col.header, None, f"缺少必填列「{col.header}」"))
    data = rows[header_rows[-1] + 1:]
    keys = list(found)
    if data:
        arr = np.array(data, dtype=object)
        if arr.ndim != 2:  # ragged rows (not produced by calamine, but be safe)
            width = max(len(r) for r in data)
            arr = np.array([list(r) + [""] * (width - len(r)) for r in data], dtype=object)
    else:
        arr = np.empty((0, max([c for c, _ in found.values()], default=0) + 1), dtype=object)
    first = header_rows[-1] + 2  # Excel row number of data row 0
    excel_rows = np.arange(first, first + len(arr))
    cols = {k: found[k][0] for k in keys}
    width = arr.shape[1]
    empty_col = np.full(len(arr), "", dtype=object)
    cells = {k: (arr[:, c] if c < width else empty_col) for k, c in cols.items()}
    keep = _data_rows(arr, cells, sheet, excel_rows)
    if not keep.all():
        excel_rows = excel_rows[keep]
        cells = {k: v[keep] for k, v in cells.items()}
    frame = SheetFrame(name=name, spec=sheet, header_row=header_row, columns=cols,
                       headers={k: found[k][1] for k in keys}, rows=excel_rows, cells=cells)
    if len(excel_rows) == 0:
        messages.append(msg(name, header_row + 1, None, None,
                            "工作表没有数据行（只有表头、空行或合计行），请填写数据或删除该工作表"))
    messages.extend(invisible_messages(frame))
    return frame, messages


FREE_TEXT = frozenset({"description", "content"})  # long free text: line breaks and the like are allowed there


def invisible_messages(frame: SheetFrame) -> list[Message]:
    """An error for every code, ID or name cell holding an invisible or direction-control character (a
    zero-width space makes a look-alike household code; U+202E reverses how a name reads)."""
    out = []
    for col in frame.spec.columns:
        if col.key not in frame.cells or col.key in FREE_TEXT or \
                col.kind not in (S.CODE, S.ID, S.TEXT, S.COUNTY, S.MONTH):
            continue
        values = frame.cells[col.key]
        if not has_invisible(values):  # one search over the whole column
            continue
        for i, v in enumerate(values):
            what = invisible_char(v)
            if what:
                out.append(msg(frame.name, int(frame.rows[i]), frame.header_of(col.key), _visible(v),
                    f"含有不可见字符或方向控制字符：{what}，会造成看起来相同、实际不同的{col.header}；"
                    f"请删除该字符（可在单元格中重新输入）", col_index=frame.columns[col.key]))
    return out


def _visible(v: str) -> str:
    """The value with each invisible character shown as <U+XXXX>."""
    return "".join(f"<U+{ord(ch):04X}>" if invisible_char(ch) else ch for ch in v)


def _letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def _is_total(v) -> bool:
    return isinstance(v, str) and bool(_TOTAL.match(re.sub(r"\s+", "", S.nfkc(v))))


def _is_footer(row) -> bool:
    for v in row:
        if v is None or v == "" or (isinstance(v, str) and not v.strip()):
            continue
        return isinstance(v, str) and bool(_FOOTER.match(S.nfkc(v).strip()))
    return False


def _data_rows(arr: np.ndarray, cells: dict[str, np.ndarray], sheet: S.Sheet, excel_rows: np.ndarray) -> np.ndarray:
    """Mask of rows that hold data: not blank (in the mapped columns), not a total (合计) and not a footer."""
    n = len(arr)
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return keep
    anchor = sheet.anchor.key
    key_col = cells.get(anchor)
    if key_col is None:  # anchor column missing: look at every mapped column
        candidates = np.arange(n)
    else:
        # blank anchors, and anchors starting with whitespace or a character of 合计/填表人/... labels
        first_chars = frozenset("合总小全本填审负制联单备说注 \t\n\r\u3000\xa0")
        cand = [i for i, v in enumerate(key_col)
                if v is None or v == "" or (type(v) is str and v[0] in first_chars)]
        candidates = np.asarray(cand, dtype=int)
    mapped = list(cells.values())
    for i in candidates:
        values = [c[i] for c in mapped]
        if all(v is None or v == "" or (isinstance(v, str) and not v.strip()) for v in values):
            keep[i] = False
            continue
        row = arr[i]
        if any(_is_total(v) for v in row[:min(len(row), 40)]) or _is_footer(row):
            keep[i] = False
    return keep
