"""Hostile ledger workbooks, built in seconds without ever holding their expanded content: a zip bomb (4 MB that
unzips to 4 GB, declared honestly or with lying sizes), sheets of 20 million tiny cells and a far-away cell.

The deflate streams repeat one block compressed with a full flush (self-contained, byte aligned), so a
gigabyte of XML costs one compression of a megabyte. Used by tests/data/test_hardening.py and
bench/bench_import.py."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

MIB = 1024 * 1024

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 b'<Default Extension="xml" ContentType="application/xml"/>'
                 b'<Override PartName="/xl/workbook.xml" '
                 b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 b'<Override PartName="/xl/worksheets/sheet1.xml" '
                 b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                 b'</Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             b'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="搬迁户" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


class Member:
    """One archive member: raw deflate bytes plus what the central directory says about it."""

    def __init__(self, name: str, raw: bytes, crc: int, size: int, declared: int | None = None):
        self.name, self.raw, self.crc, self.size = name, raw, crc, size
        self.declared = size if declared is None else declared


def deflated(name: str, data: bytes) -> Member:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Member(name, c.compress(data) + c.flush(), zlib.crc32(data), len(data))


def repeated(name: str, head: bytes, block: bytes, times: int, tail: bytes, declared: int | None = None,
             exact_crc: bool = True) -> Member:
    """head + block * times + tail, deflated by repeating one full-flush block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    one = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    if exact_crc:
        for _ in range(times):
            crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(block) * times + len(tail)
    return Member(name, first + one * times + last, crc & 0xFFFFFFFF, size, declared)


def write_zip(members: list[Member]) -> bytes:
    out = io.BytesIO()
    central = []
    for mb in members:
        name = mb.name.encode()
        offset = out.tell()
        sizes = (mb.crc, len(mb.raw), mb.declared & 0xFFFFFFFF)
        out.write(struct.pack("<4sHHHHHLLLHH", b"PK\x03\x04", 20, 0x800, 8, 0, 0x21, *sizes, len(name), 0))
        out.write(name)
        out.write(mb.raw)
        central.append(struct.pack("<4sHHHHHHLLLHHHHHLL", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x21, *sizes,
                                   len(name), 0, 0, 0, 0, 0, offset) + name)
    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    out.write(struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def _package(sheet: Member) -> bytes:
    return write_zip([deflated("[Content_Types].xml", CONTENT_TYPES), deflated("_rels/.rels", ROOT_RELS),
                      deflated("xl/workbook.xml", WORKBOOK), deflated("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                      sheet])


def _filler_rows(n_rows: int = 2000) -> bytes:
    """A megabyte-ish of XML that is valid inside <sheetData> but holds no value (empty rows)."""
    return b"<row/>" * n_rows


def zip_bomb(mib: int = 4000, declared_mib: int | None = None) -> bytes:
    """A workbook whose sheet XML inflates to `mib` MiB (4000: about 4 GB). With declared_mib, the central
    directory lies and declares that many MiB instead (CRC skipped: the content is never meant to be read in full)."""
    block = b'<row><c t="inlineStr"><is><t>' + b"A" * (MIB - 40) + b"</t></is></c></row>"
    times = mib
    declared = None if declared_mib is None else declared_mib * MIB
    return _package(repeated("xl/worksheets/sheet1.xml", SHEET_HEAD, block, times, SHEET_TAIL, declared,
                             exact_crc=declared is None and mib <= 1024))


def many_cells(cells: int = 20_000_000, cols: int = 20, refs: bool = False) -> bytes:
    """A sheet of `cells` one-digit cells, `cols` per row. Without refs the rows and cells are numbered in
    sequence (identical bytes repeat); with refs every row repeats the same references A1.. (the sparse
    list calamine builds before it de-duplicates them still holds every cell)."""
    if refs:
        row = b'<row r="1">' + b"".join(b'<c r="%s1"><v>1</v></c>' % _letters(c).encode() for c in range(cols)) \
              + b"</row>"
    else:
        row = b"<row>" + b"<c><v>1</v></c>" * cols + b"</row>"
    per_block = 2000
    times = cells // (cols * per_block)
    return _package(repeated("xl/worksheets/sheet1.xml", SHEET_HEAD, row * per_block, times, SHEET_TAIL))


def far_cell(row: int = 1_048_576, col: str = "A", inconsistent: bool = False) -> bytes:
    """A tiny sheet: a cell in A1 and one value at a far-away cell (inconsistent: inside <row r="2">)."""
    xml = SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' + \
        b'<row r="%d"><c r="%s%d"><v>1</v></c></row>' % (2 if inconsistent else row, col.encode(), row) + SHEET_TAIL
    return _package(deflated("xl/worksheets/sheet1.xml", xml))


def _letters(c: int) -> str:
    s, c = "", c + 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def declared_size(data: bytes, member: str = "xl/worksheets/sheet1.xml") -> int:
    return zipfile.ZipFile(io.BytesIO(data)).getinfo(member).file_size


STYLES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
          b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
          b'<fill><patternFill patternType="gray125"/></fill></fills>'
          b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          b'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          b'<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
          b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def wrong_site_ledger(rows: int = 100_000, first_good: int = 0) -> bytes:
    """A 搬迁户 sheet of `rows` otherwise valid households whose 安置点编码 is unknown (after `first_good` rows
    of the fixture's site S001): one error per row — a wrong county's ledger. Written as XML directly (seconds
    for 100,000 rows; openpyxl would take minutes)."""
    from data.workbook import spec as S
    from tests.data.fixtures_workbooks import make_id

    cols = [c for c in S.HOUSEHOLDS.columns if c.required]
    ids = [make_id(n, birth=f"19{60 + n % 40:02d}0101") for n in range(1000)]

    def cell(ref: str, v) -> str:
        if isinstance(v, int):
            return f'<c r="{ref}"><v>{v}</v></c>'
        return f'<c r="{ref}" t="inlineStr" s="1"><is><t>{v}</t></is></c>'

    letters = [_letters(i) for i in range(len(cols))]
    parts = [SHEET_HEAD.decode(), '<row r="1">']
    parts += [cell(f"{x}1", c.title) for x, c in zip(letters, cols)]
    parts.append("</row>")
    for i in range(rows):
        r = i + 2
        site = "S001" if i < first_good else f"X{i % 977:03d}"
        values = {"household_code": f"H{i:07d}", "site_code": site, "head_name": "张三", "head_id": ids[i % 1000],
                  "family_size": 4, "labour_count": 2, "origin_county": "乙县", "origin_town": "某乡",
                  "origin_village": "某村", "hukou_moved": "是"}
        parts.append(f'<row r="{r}">')
        parts += [cell(f"{x}{r}", values[c.key]) for x, c in zip(letters, cols)]
        parts.append("</row>")
    parts.append(SHEET_TAIL.decode())
    sheet = "".join(parts).encode()
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    member = Member("xl/worksheets/sheet1.xml", c.compress(sheet) + c.flush(), zlib.crc32(sheet), len(sheet))
    types = CONTENT_TYPES.replace(b"</Types>", b'<Override PartName="/xl/styles.xml" ContentType="application/'
                                               b'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
    rels = WORKBOOK_RELS.replace(b"</Relationships>", b'<Relationship Id="rId9" Type="http://schemas.openxmlformats'
                                                      b'.org/officeDocument/2006/relationships/styles" '
                                                      b'Target="styles.xml"/></Relationships>')
    return write_zip([deflated("[Content_Types].xml", types), deflated("_rels/.rels", ROOT_RELS),
                      deflated("xl/workbook.xml", WORKBOOK), deflated("xl/_rels/workbook.xml.rels", rels),
                      deflated("xl/styles.xml", STYLES), member])
