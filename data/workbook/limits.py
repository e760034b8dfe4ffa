"""Upload limits of a ledger workbook, checked before any parsing.

An .xlsx file is a zip archive of XML parts. A small file can expand enormously (a 4 MB "zip bomb" that inflates
to 4 GB) or describe a sheet of millions of tiny cells that python-calamine would allocate as one dense
rectangle. Both are refused here, with a Chinese message, while memory stays bounded:

1. the file size, the number of archive members and their *declared* uncompressed sizes and compression ratios
   (no decompression at all);
2. every member is then inflated from the raw bytes in bounded chunks (never trusting the declared size:
   inflation stops as soon as a member yields more than it declared or more than the limits allow) and the
   worksheet XML is scanned while streaming: cells holding a value, the rows and columns they reach, and the
   rectangle (rows x columns) calamine would allocate.

Limits come from `Limits.from_env()`; the defaults fit the largest legitimate county ledger (about 100,000
households and their labourers, some 30 columns) with a wide margin:

    LEDGER_MAX_FILE_MB          50      file size
    LEDGER_MAX_UNCOMPRESSED_MB  800     declared uncompressed size of all archive members together
    LEDGER_MAX_RATIO            200     compression ratio of one member (members above 1 MB)
    LEDGER_MAX_ROWS             300000  last row holding a value, per sheet
    LEDGER_MAX_COLUMNS          100     last column holding a value, per sheet
    LEDGER_MAX_CELLS            12000000  cells of a sheet's used rectangle (rows x columns); also the cap on
                                          cells holding a value in all sheets together
"""
from __future__ import annotations

import operator
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

MB = 1024 * 1024
IN_CHUNK = 256 * 1024          # compressed bytes fed to zlib at a time
OUT_CHUNK = 8 * MB             # at most this many uncompressed bytes produced at a time
RATIO_MIN_SIZE = 1 * MB        # members smaller than this are exempt from the ratio limit
MAX_MEMBERS = 10_000
MAX_WORKBOOK_PART = 16 * MB  # workbook.xml and its relationships (read whole to find the sheets)
MAX_CARRY = 32 * MB            # an unfinished XML tag longer than this is refused
MAX_IGNORED_FAR_CELLS = 100_000


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * MB
    max_uncompressed: int = 800 * MB
    max_ratio: float = 200.0
    max_rows: int = 300_000
    max_cols: int = 100
    max_cells: int = 12_000_000

    @classmethod
    def from_env(cls, env=None) -> "Limits":
        env = os.environ if env is None else env

        def num(name, default, scale=1, kind=int):
            raw = env.get(name)
            if raw is None or not str(raw).strip():
                return default
            try:
                value = kind(float(str(raw).strip()) * scale)
            except ValueError:
                return default
            return value if value > 0 else default

        d = cls()
        return cls(max_bytes=num("LEDGER_MAX_FILE_MB", d.max_bytes, MB),
                   max_uncompressed=num("LEDGER_MAX_UNCOMPRESSED_MB", d.max_uncompressed, MB),
                   max_ratio=num("LEDGER_MAX_RATIO", d.max_ratio, kind=float),
                   max_rows=num("LEDGER_MAX_ROWS", d.max_rows),
                   max_cols=num("LEDGER_MAX_COLUMNS", d.max_cols),
                   max_cells=num("LEDGER_MAX_CELLS", d.max_cells))


class LimitExceeded(Exception):
    """The archive breaks a limit; `reason` is the Chinese message for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def fmt_size(n: float) -> str:
    if n >= 1024 * MB:
        return f"{n / 1024 / MB:.1f} GB"
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} KB"


def col_letter(c: int) -> str:
    """1-based column number -> Excel letters."""
    s = ""
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def col_number(letters: bytes | str) -> int:
    n = 0
    for ch in (letters.encode() if isinstance(letters, str) else letters):
        n = n * 26 + (ch - 64)
    return n


SPLIT_HINT = "请删除多余的行列、或按安置点拆分为多个文件分别导入"


# ---- 1. declared sizes ----

def member_count(data: bytes) -> int | None:
    """Number of entries the archive's end-of-central-directory record declares (None when not found)."""
    tail = data[-(65536 + 22):]
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return None
    return struct.unpack("<H", tail[pos + 10:pos + 12])[0]


def check_declared(zf: zipfile.ZipFile, limits: Limits) -> None:
    infos = zf.infolist()
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise LimitExceeded("文件已加密，请取消密码后再上传")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise LimitExceeded("文件使用了不支持的压缩方式，请在 Excel 或 WPS 中打开后重新保存为 .xlsx 再上传")
        size = info.file_size
        total += size
        if size >= RATIO_MIN_SIZE and size > limits.max_ratio * max(info.compress_size, 1):
            raise LimitExceeded(
                f"文件异常：压缩包内的「{info.filename}」从 {fmt_size(info.compress_size)} 解压后达 {fmt_size(size)}"
                f"（压缩比 {size / max(info.compress_size, 1):.0f} 倍，上限 {limits.max_ratio:.0f} 倍），"
                f"疑似恶意构造的文件，已拒绝；请在 Excel 或 WPS 中打开后重新保存再上传")
    if total > limits.max_uncompressed:
        raise LimitExceeded(f"文件解压后共 {fmt_size(total)}，超过上限 {fmt_size(limits.max_uncompressed)}，"
                            f"内容过多，{SPLIT_HINT}")


# ---- 2. streaming inflation ----

def member_chunks(data: bytes, info: zipfile.ZipInfo, limit: int, max_ratio: float | None = None):
    """The uncompressed content of one member, in chunks of at most OUT_CHUNK bytes, inflated from the raw
    archive bytes. Raises LimitExceeded once the member yields more than it declared or than `limit`, or (with
    max_ratio) once what it has yielded so far is more than twice max_ratio times the compressed bytes read:
    a member lying about its size is stopped within its first megabytes."""
    off = info.header_offset
    if data[off:off + 4] != b"PK\x03\x04":
        raise LimitExceeded("文件已损坏或不完整（可能上传或保存时中断），请重新保存后再上传")
    name_len, extra_len = struct.unpack("<HH", data[off + 26:off + 30])
    start = off + 30 + name_len + extra_len
    raw = memoryview(data)[start:start + info.compress_size]
    allowed = min(info.file_size, limit)
    produced = consumed = 0

    def account(piece: bytes) -> bytes:
        nonlocal produced
        produced += len(piece)
        if max_ratio and produced > RATIO_MIN_SIZE * 16 and produced > 2 * max_ratio * max(consumed, 1):
            raise LimitExceeded(f"文件异常：压缩包内的「{info.filename}」解压时的压缩比超过 {2 * max_ratio:.0f} 倍，"
                                f"疑似恶意构造的文件，已拒绝；请在 Excel 或 WPS 中打开后重新保存再上传")
        if produced > allowed:
            if produced > info.file_size:
                raise LimitExceeded(f"文件异常：压缩包内的「{info.filename}」实际内容大于其声明的大小，"
                                    f"疑似恶意构造的文件，已拒绝；请在 Excel 或 WPS 中打开后重新保存再上传")
            raise LimitExceeded(f"文件解压后超过上限 {fmt_size(limit)}，内容过多，{SPLIT_HINT}")
        return piece

    if info.compress_type == zipfile.ZIP_STORED:
        for i in range(0, len(raw), OUT_CHUNK):
            yield account(bytes(raw[i:i + OUT_CHUNK]))
        return
    d = zlib.decompressobj(-15)
    try:
        for i in range(0, len(raw), IN_CHUNK):
            piece = d.decompress(raw[i:i + IN_CHUNK], OUT_CHUNK)
            while True:
                consumed = min(i + IN_CHUNK, len(raw)) - len(d.unconsumed_tail)
                if piece:
                    yield account(piece)
                if not d.unconsumed_tail or d.eof:
                    break
                piece = d.decompress(d.unconsumed_tail, OUT_CHUNK)
            if d.eof:
                break
        rest = d.flush(OUT_CHUNK)
        if rest:
            yield account(rest)
    except zlib.error:
        raise LimitExceeded("文件已损坏或不完整（可能上传或保存时中断），请重新保存后再上传") from None


# ---- 3. worksheet scan ----

def _greater_digits(n: int) -> bytes:
    """Regex matching decimal numbers (no leading zero) greater than n."""
    s = str(n)
    alts = [rb"[1-9][0-9]{%d,}" % len(s)]
    for i, ch in enumerate(s):
        d = int(ch)
        if d < 9:
            alts.append(s[:i].encode() + b"[%d-9]" % (d + 1) + b"[0-9]" * (len(s) - i - 1))
    return b"(?:" + b"|".join(alts) + b")"


def _greater_letters(n: int) -> bytes:
    """Regex matching Excel column letters of a column greater than n (1-based)."""
    s = col_letter(n)
    alts = [rb"[A-Z]{%d,}" % (len(s) + 1)]
    for i, ch in enumerate(s):
        if ch < "Z":
            alts.append(s[:i].encode() + b"[" + chr(ord(ch) + 1).encode() + b"-Z]" + b"[A-Z]" * (len(s) - i - 1))
    return b"(?:" + b"|".join(alts) + b")"


_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_ROW_R = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="([0-9]+)"')
_CELL_OPEN = re.compile(rb"<(?:\w+:)?c[\s>/]")


class SheetScan:
    """Streaming statistics of one worksheet's XML (fed in chunks)."""

    def __init__(self, sheet: str, limits: Limits):
        self.sheet, self.limits = sheet, limits
        self.valued = 0           # cells holding a value
        self.max_row = 0          # last row (face value of <row r>, rows beyond the limit only when valued)
        self.max_col = 0          # last column (face value of cell references, beyond the limit only when valued)
        self.rowless = 0          # rows without an r attribute (numbered in sequence)
        self.refless = False      # cells without an r attribute (numbered in sequence within their row)
        self.ignored_far = 0
        self.numbered_rows = 0    # rows with an r attribute (within the row limit)
        self._carry = b""
        self._prefix: bytes | None = None
        self._far_col = 0        # column beyond which cell references are matched (see _compile_far)
        self._compile_far(0)
        self._far_row_re = rb'row\b[^>]*?\sr="(' + _greater_digits(limits.max_rows) + rb')"'

    def _compile_far(self, col: int) -> None:
        """Match references of rows beyond the row limit or of columns beyond `col`. Literal-prefix patterns
        are fast; the \\s variant catches attributes separated by tabs or newlines."""
        self._far_col = col
        far = rb'r="(?:([A-Z]{1,3})(' + _greater_digits(self.limits.max_rows) + rb')|(' + \
            (_greater_letters(col) if col else rb"[A-Z]{1,3}") + rb')([0-9]+))"'
        self._far_fast, self._far_slow = re.compile(rb" " + far), re.compile(rb"\s" + far)

    def _refuse(self, what: str) -> None:
        raise LimitExceeded(f"工作表「{self.sheet}」{what}，{SPLIT_HINT}")

    def feed(self, chunk: bytes, last: bool = False) -> None:
        buf = self._carry + chunk if self._carry else chunk
        if self._prefix is None:
            m = _ROOT.search(buf[:4096])
            if m is None and not last and len(buf) < 4096:
                self._carry = buf
                return
            self._prefix = (m.group(1) or b"") if m else b""
            p = self._prefix
            self._v, self._is = b"<" + p + b"v>", b"<" + p + b"is>"
            self._row_end = b"</" + p + b"row>"
            self._row_r = re.compile(b"<" + re.escape(p) + rb'row r="([0-9]+)"')
            self._far_row = re.compile(b"<" + re.escape(p) + self._far_row_re)
            self._cell_end = b"</" + p + b"c>"
        if last:
            end, self._carry = len(buf), b""
        else:  # cut after the last complete cell or row, so that a cell is always seen whole
            c, r = buf.rfind(self._cell_end), buf.rfind(self._row_end)
            end = max(c + len(self._cell_end) if c >= 0 else 0, r + len(self._row_end) if r >= 0 else 0)
            if end == 0:
                if len(buf) > MAX_CARRY:
                    self._refuse("的内容格式异常（单元格内容过长）")
                self._carry = buf
                return
            self._carry = buf[end:]
        self._scan(buf, end)

    def _scan(self, buf: bytes, end: int) -> None:
        """Statistics of buf[:end] (whole cells and rows only). Each step is one pass in C over the buffer;
        slower exact patterns run only when an unusual writer's XML needs them."""
        lim, p = self.limits, self._prefix
        self.valued += buf.count(self._v, 0, end) + buf.count(self._is, 0, end)
        if self.valued > lim.max_cells:
            self._refuse(f"中有内容的单元格超过 {lim.max_cells:,} 个")
        # usual writers put r first in every cell and row; anything else takes the exact (slower) patterns
        n_r = buf.count(b"<" + p + b'c r="', 0, end)
        unusual = buf.count(b"<" + p + b"c", 0, end) != n_r
        rows = self._row_r.findall(buf, 0, end)
        unusual = unusual or len(rows) != buf.count(b"<" + p + b"row", 0, end)
        odd = unusual and any(buf.find(x, 0, end) >= 0 for x in (b'\nr="', b'\tr="', b'\rr="'))
        if unusual:
            rows = _ROW_R.findall(buf, 0, end)
            self.rowless += buf.count(b"<" + p + b"row>", 0, end)
        if rows:
            top = max(map(int, rows))
            if top > lim.max_rows:  # only rows holding a value count beyond the limit
                for m in self._far_row.finditer(buf, 0, end):
                    if self._row_has_value(buf, m.end()):
                        self._refuse(f"的数据达到第 {int(m.group(1)):,} 行，超过上限 {lim.max_rows:,} 行")
                    self._ignore_far()
                top = max([int(r) for r in rows if int(r) <= lim.max_rows] or [0])
            self.max_row = max(self.max_row, top)
            self.numbered_rows += len(rows) if top <= lim.max_rows else sum(int(r) <= lim.max_rows for r in rows)
            if self.numbered_rows > self.max_row:
                self._malformed()
        # one pass over the cell references: rows beyond the row limit, columns beyond the widest seen so far
        # (all of them in the first chunk, then only wider ones)
        for m in (self._far_slow if odd else self._far_fast).finditer(buf, 0, end):
            if m.group(2):
                if self._cell_has_value(buf, m.end()):
                    self._refuse(f"第 {m.group(1).decode()}{int(m.group(2))} 单元格有内容，"
                                 f"超过上限 {lim.max_rows:,} 行")
                self._ignore_far()
                continue
            c = col_number(m.group(3))
            if c <= lim.max_cols:
                self.max_col = max(self.max_col, c)
            elif self._cell_has_value(buf, m.end()):
                self._refuse(f"第 {m.group(3).decode()}{int(m.group(4))} 单元格有内容，超过上限 {lim.max_cols} 列"
                             f"（{col_letter(lim.max_cols)} 列）")
            else:
                self._ignore_far()
        if self.max_col > self._far_col:
            self._compile_far(self.max_col)
        if not self.refless and unusual:
            n_cells = sum(buf.count(b"<" + p + x, 0, end) for x in (b"c ", b"c>", b"c/>", b"c\n", b"c\t"))
            if n_cells > n_r and n_cells > len(re.findall(rb'<(?:\w+:)?c\b[^>]*?\sr="', buf[:end])):
                self.refless = True
        if self.refless:
            self._widest_row(buf[:end])
        if self.valued > (self.max_row + self.rowless) * max(self.max_col, 1):
            self._malformed()  # more values than positions: cells repeated
        self._check_area()

    def _malformed(self) -> None:
        raise LimitExceeded(f"工作表「{self.sheet}」的内容格式异常（行号或单元格重复），疑似恶意构造的文件，已拒绝；"
                            f"请在 Excel 或 WPS 中打开后重新保存再上传")

    def _widest_row(self, buf: bytes) -> None:
        """Sequentially numbered cells: the widest row (files of unusual writers only; one C-level count per
        row)."""
        widest = max(map(operator.methodcaller("count", b"<" + self._prefix + b"c"), buf.split(self._row_end)))
        if widest > self.limits.max_cols:
            self._refuse(f"有一行超过 {self.limits.max_cols} 列")
        self.max_col = max(self.max_col, widest)

    def _ignore_far(self) -> None:
        self.ignored_far += 1
        if self.ignored_far > MAX_IGNORED_FAR_CELLS:
            self._refuse("在数据区域之外有大量设置了格式的空单元格（行列过多）")

    def _cell_has_value(self, buf: bytes, pos: int) -> bool:
        end = buf.find(b">", pos)
        if end < 0 or buf[end - 1:end] == b"/":
            return False
        close = buf.find(b"</" + self._prefix + b"c>", end)
        body = buf[end:close if close >= 0 else len(buf)]
        return self._v in body or self._is in body

    def _row_has_value(self, buf: bytes, pos: int) -> bool:
        close = buf.find(self._row_end, pos)
        body = buf[pos:close if close >= 0 else len(buf)]
        return self._v in body or self._is in body

    def _check_area(self) -> None:
        rows = max(self.max_row, self.rowless)
        area = rows * max(self.max_col, 1)
        if area > self.limits.max_cells:
            self._refuse(f"的数据区域达 {rows:,} 行 × {self.max_col} 列（{area:,} 个单元格），"
                         f"超过上限 {self.limits.max_cells:,} 个单元格")


def check_archive(data: bytes, zf: zipfile.ZipFile, worksheets: dict[str, str], limits: Limits) -> dict[str, SheetScan]:
    """Refuse (LimitExceeded) an archive that breaks a limit; scans of the worksheet members otherwise.
    `worksheets`: member name -> sheet name as shown to the user."""
    check_declared(zf, limits)
    scans: dict[str, SheetScan] = {}
    total_valued = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        sheet = worksheets.get(info.filename)
        scan = SheetScan(sheet or info.filename, limits) if (sheet or _is_worksheet(info.filename)) else None
        for chunk in member_chunks(data, info, limits.max_uncompressed, limits.max_ratio):
            if scan is not None:
                scan.feed(chunk)
        if scan is not None:
            scan.feed(b"", last=True)
            scans[info.filename] = scan
            total_valued += scan.valued
            if total_valued > limits.max_cells:
                raise LimitExceeded(f"文件中有内容的单元格共超过 {limits.max_cells:,} 个，{SPLIT_HINT}")
    return scans


def _is_worksheet(member: str) -> bool:
    return member.startswith("xl/worksheets/") and member.endswith(".xml")
