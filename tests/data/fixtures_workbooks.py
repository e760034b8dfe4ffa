"""Builders of good and malformed ledger workbooks (in code), seeding helpers and `db_fingerprint`."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import re
import struct
import zipfile

import openpyxl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import models as m
from data.workbook import spec as S
from domain.organisation import POSTS
from domain.rights import RIGHTS_CODES

MONTH = "2026-09"
PREV_MONTH = "2026-08"
COUNTY_A = ("520101", "甲县")
COUNTY_B = ("520102", "乙县")
CITY = "520100"
# a square around (104.9, 25.1) as the boundary of 甲县
BOUNDARY_A = ('{"type": "Polygon", "coordinates": [[[104.0, 24.5], [105.5, 24.5], [105.5, 25.8], [104.0, 25.8], '
              '[104.0, 24.5]]]}')


# ---- identities ----

def make_id(n: int, birth: str = "19850101", area: str = "522301") -> str:
    body = f"{area}{birth}{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(a) * w for a, w in zip(body, weights)) % 11]


def bad_check_id(n: int) -> str:
    good = make_id(n)
    last = "0" if good[-1] != "0" else "1"
    return good[:-1] + last


# ---- seeding ----

def seed_counties(engine: Engine, boundary: bool = False) -> None:
    with Session(engine) as s, s.begin():
        s.add(m.County(code=COUNTY_A[0], name=COUNTY_A[1], city_code=CITY, sort_order=1,
                       boundary_geojson=BOUNDARY_A if boundary else None))
        s.add(m.County(code=COUNTY_B[0], name=COUNTY_B[1], city_code=CITY, sort_order=2))


# ---- good data, as a user types it into the sheets (keys = spec column keys) ----

RIGHTS_A = ["已落实"] * 13 + ["不适用", "不适用"]
RIGHTS_B = ["已落实", "未落实", None, "已落实", "不适用", "已落实", "已落实", "未落实", "已落实", "已落实",
            "已落实", "已落实", "未落实", "未落实", "不适用"]


def good_records() -> dict[str, list[dict]]:
    sites = [
        dict(code="S001", name="阳光社区", county="甲县", town="城关镇", site_type="城镇集中安置区", lon=104.9,
             lat=25.1, households=2, population=7, batch_year=2026, built_year=2019),
        dict(code="S002", name="幸福家园", county="甲县", town="新桥镇", site_type="农村集中安置点", lon=105.0,
             lat=25.2, households=2, population=7, batch_year=2027, built_year=None),
    ]
    hh = []
    specs = [("H001", "S001", "张三", 1, 4, 2, RIGHTS_A, 8000.0, 8800.0, "是", "否"),
             ("H002", "S001", "李四", 2, 3, 1, RIGHTS_B, 7000.0, 7350.5, "否", "是"),
             ("H003", "S002", "王五", 3, 5, 2, RIGHTS_A, None, 9100.0, "是", None),
             ("H004", "S002", "赵六", 4, 2, 0, RIGHTS_B, 6500.0, 6600.0, "是", "否")]
    for code, site, name, n, fam, lab, rights, ip, ic, moved, mon in specs:
        rec = dict(household_code=code, site_code=site, head_name=name, head_id=make_id(n), family_size=fam,
                   labour_count=lab, origin_county="乙县", origin_town="某乡", origin_village=f"{name[0]}家村",
                   hukou_moved=moved, monitored=mon, income_prev=ip, income_curr=ic)
        rec.update(dict(zip(RIGHTS_CODES,
                            rights)))
        hh.append(rec)
    labour = [
        dict(person_id=make_id(1), name="张三", household_code="H001", gender="男", trained="是", certified="否",
             employed="已就业", employment_form="帮扶车间", monthly_income=3200),
        dict(person_id=make_id(12, "19900505"), name="张小红", household_code="H001", gender="女", trained="否",
             certified="否", employed="未就业", employment_form=None, monthly_income=None),
        dict(person_id=make_id(21, "19880808"), name="李大", household_code="H002", gender="男", trained="是",
             certified="是", employed="已就业", employment_form="省外务工", monthly_income=5200.5),
        dict(person_id=make_id(31, "19920202"), name="王一", household_code="H003", gender="男", trained="是",
             certified="是", employed="已就业", employment_form="园区企业", monthly_income=4100),
        dict(person_id=make_id(42, "19950315"), name="王二", household_code="H003", gender="女", trained="否",
             certified="否", employed="已就业", employment_form="公益性岗位", monthly_income=1800),
    ]
    org = []
    for code, yes in (("S001", "是"), ("S002", "否")):
        rec = dict(site_code=code, platform_party="是", platform_resident=yes, platform_convenience="是")
        for i, (post, _) in enumerate(POSTS):
            rec[f"{post}_required"] = 1 + i % 3
            rec[f"{post}_actual"] = (1 + i % 3) if code == "S001" else i % 2
        org.append(rec)
    reported = [
        dict(site_code="S001", month=MONTH, carriers=2, collective_income=12.5, linkage_pct=65, satisfaction_pct=91.5,
             civic_pct=70, night_school=3, dispute_pct=96, mass_incidents=0, inspection_problems=1),
        dict(site_code="S002", month=MONTH, carriers=1, collective_income=4, linkage_pct=40, satisfaction_pct=80,
             civic_pct=None, night_school=1, dispute_pct=88, mass_incidents=0, inspection_problems=0),
    ]
    rect = [
        dict(item_code="ZG-001", county="甲县", site_code="S001", source="督导督查", description="楼道消防通道堵塞",
             unit="城关镇人民政府", found_date="2026-08-05", deadline="2026-09-30", status="整改中", closed_date=None),
        dict(item_code="ZG-002", county="甲县", site_code=None, source="群众反映", description="就业信息发布不及时",
             unit="县人社局", found_date=dt.date(2026, 7, 1), deadline=dt.date(2026, 8, 1), status="已销号",
             closed_date=dt.date(2026, 7, 25)),
    ]
    follow = [
        dict(kind="定期调度", date="2026-09-10", county="甲县", site_code=None, title="9月后续扶持调度会",
             content="研究就业帮扶"),
        dict(kind="舆论宣传", date="2026-09-20", county="甲县", site_code="S001", title="阳光社区帮扶车间典型案例",
             content=None),
    ]
    return {"安置点": sites, "搬迁户": hh, "劳动力": labour, "组织建设": org, "月度指标": reported,
            "问题整改": rect, "跟进记录": follow}


def records_b() -> dict[str, list[dict]]:
    """Data of 乙县 (one site, one household) for scope tests."""
    return {
        "安置点": [dict(code="S101", name="乙县新区", county="乙县", town="城南街道", site_type="城镇集中安置区",
                     lon=105.3, lat=25.6, households=1, population=3, batch_year=2026, built_year=2020)],
        "搬迁户": [dict(household_code="H101", site_code="S101", head_name="孙七", head_id=make_id(101),
                     family_size=3, labour_count=0, origin_county="甲县", origin_town="某乡", origin_village="某村",
                     hukou_moved="是", monitored="否", income_prev=5000, income_curr=5200,
                     **{f"R{i:02d}": "已落实" for i in range(1, 16)})],
    }


# ---- workbook building ----

def sheet_table(name: str, records: list[dict], headers: list[str] | None = None,
                drop: tuple[str, ...] = ()) -> tuple[list[str], list[list]]:
    spec = S.BY_NAME[name]
    cols = [c for c in spec.columns if c.key not in drop]
    head = headers or [c.title for c in cols]
    rows = [[r.get(c.key) for c in cols] for r in records]
    return head, rows


def build_xlsx(tables: dict[str, tuple[list[str], list[list]]], *, titles: dict[str, list[str]] | None = None,
               text_columns: bool = True, post=None) -> bytes:
    """An .xlsx with one sheet per table; `titles` rows above the header; `post(wb)` may change the book."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (head, rows) in tables.items():
        ws = wb.create_sheet(name)
        for t in (titles or {}).get(name, []):
            ws.append([t])
        ws.append(head)
        for r in rows:
            ws.append(r)
        if text_columns:
            for j, h in enumerate(head, start=1):
                if any(k in str(h) for k in ("编码", "身份证", "编号")):
                    for row in ws.iter_rows(min_row=ws.max_row - len(rows) + 1, min_col=j, max_col=j):
                        for c in row:
                            c.number_format = "@"
    if post:
        post(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def good_tables(records: dict[str, list[dict]] | None = None, sheets=None) -> dict:
    records = records or good_records()
    return {name: sheet_table(name, recs) for name, recs in records.items() if sheets is None or name in sheets}


def good_workbook(sheets=None, **kw) -> bytes:
    return build_xlsx(good_tables(sheets=sheets), **kw)


def with_changes(changes: dict[str, dict[int, dict]], records=None) -> dict[str, list[dict]]:
    """Copy of the good records with {sheet: {index: {key: value}}} applied."""
    recs = copy.deepcopy(records or good_records())
    for sheet, rows in changes.items():
        for i, kv in rows.items():
            recs[sheet][i].update(kv)
    return recs


def inject_cached_values(data: bytes, values: dict[tuple[str, str], str]) -> bytes:
    """Give formula cells written by openpyxl (no cached value) a cached value: {(sheet, 'F3'): '2'}."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    from data.workbook.reader import sheet_parts
    parts = sheet_parts(zin)
    by_member: dict[str, dict[str, str]] = {}
    for (sheet, ref), v in values.items():
        by_member.setdefault(parts[sheet], {})[ref] = v
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item)
            if item.filename in by_member:
                text = body.decode("utf-8")
                for ref, v in by_member[item.filename].items():
                    cell = rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)'
                    text, n = re.subn(rf'{cell}<v\s*/>|{cell}<v>\s*</v>',
                                      lambda mm: ((mm.group(1) or mm.group(3)) + (mm.group(2) or mm.group(4))
                                                  + f"<v>{v}</v>"),
                                      text)
                    assert n == 1, (ref, text[:500])
                body = text.encode("utf-8")
            zout.writestr(item, body)
    return out.getvalue()


# ---- non-xlsx containers ----

def cfb_container(streams: dict[str, bytes]) -> bytes:
    """A minimal valid OLE compound file (CFB v3) holding the given streams (each padded to >= 4096 bytes,
    so no mini stream is needed). Used for an encrypted .xlsx (EncryptionInfo + EncryptedPackage) and a
    legacy .xls (Workbook)."""
    sector = 512
    ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    datas = [streams[n] + b"\0" * max(0, 4096 - len(streams[n])) for n in names]
    fat: list[int] = []
    body = b""
    starts = []
    for d in datas:
        d = d + b"\0" * (-len(d) % sector)
        n = len(d) // sector
        start = len(fat)
        starts.append(start)
        fat.extend(list(range(start + 1, start + n)) + [ENDOFCHAIN])
        body += d
    dir_sector = len(fat)
    fat.append(ENDOFCHAIN)
    fat_sector = len(fat)
    fat.append(FATSECT)
    assert len(fat) <= 128
    fat += [FREESECT] * (128 - len(fat))

    def entry(name: str, typ: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), typ, 1) +
                struct.pack("<III", left, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 +
                struct.pack("<IQ", start, size))

    # entries sorted by (len, upper name): chain them as right siblings (valid, if unbalanced, red-black tree)
    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    ents = [entry("Root Entry", 5, NOSTREAM, NOSTREAM, order[0] + 1 if names else NOSTREAM, ENDOFCHAIN, 0)]
    right_of = {order[k]: order[k + 1] + 1 for k in range(len(order) - 1)}
    for i, n in enumerate(names):
        ents.append(entry(n, 2, NOSTREAM, right_of.get(i, NOSTREAM), NOSTREAM, starts[i], len(datas[i])))
    while len(ents) % 4:
        ents.append(b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
                    + b"\0" * 48)
    directory = b"".join(ents)
    assert len(directory) == sector
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) +
              b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, dir_sector, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0) +
              struct.pack("<I", fat_sector) + struct.pack("<I", FREESECT) * 108)
    assert len(header) == sector
    return header + body + directory + struct.pack("<128I", *fat)


def encrypted_xlsx() -> bytes:
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version=\"1.0\"?><encryption/>"
    return cfb_container({"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 5000) + bytes(range(256)) * 20})


def legacy_xls() -> bytes:
    return cfb_container({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\0" * 100})


# ---- database fingerprint ----

def db_fingerprint(engine: Engine, exclude=("imports", "audit_log")) -> dict[str, tuple[int, str]]:
    """Row count and a content checksum per table (row order independent), except the excluded tables."""
    out = {}
    with engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            if table.name in exclude:
                continue
            rows = [tuple(r) for r in conn.execute(select(table))]
            digest = hashlib.sha256()
            for text in sorted(repr(r) for r in rows):
                digest.update(text.encode("utf-8"))
            out[table.name] = (len(rows), digest.hexdigest())
    return out


# ---- LibreOffice-written files ----

_LO_CACHE: dict[str, bytes] = {}


def libreoffice_convert(files: dict[str, bytes], workdir) -> dict[str, bytes]:
    """Re-save each .xlsx with LibreOffice (soffice --headless --convert-to xlsx) and return the new bytes."""
    import shutil
    import subprocess
    from pathlib import Path

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise RuntimeError("LibreOffice (soffice) is required for these tests: apt-get install libreoffice-calc-nogui")
    workdir = Path(workdir)
    src, dst, profile = workdir / "in", workdir / "out", workdir / "profile"
    for d in (src, dst):
        d.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        p = src / f"{name}.xlsx"
        p.write_bytes(data)
        paths.append(str(p))
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", "xlsx:Calc Office Open XML", "--outdir", str(dst), *paths]
    subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    out = {}
    for name in files:
        p = dst / f"{name}.xlsx"
        if not p.exists():
            raise RuntimeError(f"LibreOffice did not write {p}")
        out[name] = p.read_bytes()
    return out


def _lo_sources() -> dict[str, bytes]:
    def formula(wb):
        wb["搬迁户"]["E2"] = "=2+2"

    bad = with_changes({"搬迁户": {2: {"head_id": bad_check_id(3)}}})
    return {"good": good_workbook(), "formula": good_workbook(post=formula),
            "bad_id": build_xlsx(good_tables(bad))}


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def libreoffice_files(tmp_path_factory) -> dict[str, bytes]:
    """Workbooks written by openpyxl and re-saved by LibreOffice: good, formula (cached by LibreOffice), bad_id."""
    if not _LO_CACHE:
        _LO_CACHE.update(libreoffice_convert(_lo_sources(), tmp_path_factory.mktemp("libreoffice")))
    return _LO_CACHE
