"""Work lists: routing to platforms (hand-checked against the rights registry), 漏项 apart from 未落实, county
scope, the command line (audited), and no full 18-digit ID number anywhere in the xlsx XML."""
from __future__ import annotations

import re
import zipfile
from io import BytesIO

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli import scoring_main
from data import models as m
from data import repository as repo
from data.db import create
from domain.rights import RIGHTS, platform_for, side_for
from domain.scope import OutOfScope, Scope
from services.worklist import worklist, worklist_xlsx
from tests.ui.small_city import build_small_city

FULL_ID = re.compile(rb"\d{17}[\dX]")


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    e = create(f"sqlite:///{tmp_path_factory.mktemp('wl') / 'c.db'}")
    city = build_small_city(e)
    e.city = city
    return e


def _no_full_id(data: bytes) -> None:
    with zipfile.ZipFile(BytesIO(data)) as z:
        for n in z.namelist():
            assert not FULL_ID.search(z.read(n)), n


def test_routing_and_masking(eng):
    month = eng.city.months[-1]
    county = repo.sites(eng)["county_code"].iloc[0]
    wl = worklist(eng, month, county, Scope.city())
    hh = repo.households(eng, month)
    hh = hh[hh["site_code"].isin(repo.sites(eng).query("county_code == @county")["site_code"])]
    names = {r.code: r.name for r in RIGHTS}
    # expected by hand from the registry: each gap item of each household goes to its platform and side
    for _, h in hh.iterrows():
        for r in RIGHTS:
            v = h[r.code]
            if v not in (None, "未落实") and not pd.isna(v):
                continue
            sheet = wl.sheets[platform_for(r.code, h["hukou_moved"]).label]
            row = sheet[sheet["户编码"] == h["household_code"]]
            assert len(row) == 1
            col = "未落实事项（责任方）" if v == "未落实" else "漏项事项（责任方）"
            assert f"{names[r.code]}（{side_for(r.code, h['hukou_moved'])}）" in row[col].iloc[0]
    data = worklist_xlsx(wl, month)
    _no_full_id(data)
    own = worklist(eng, month, None, Scope.county(county))     # a county user asking for "all" gets their county
    assert own.households == wl.households and own.county_name == wl.county_name
    other = [c for c in repo.sites(eng)["county_code"].unique() if c != county][0]
    with pytest.raises(OutOfScope):
        worklist(eng, month, other, Scope.county(county))


def test_command_line_writes_audited_workbook(eng, tmp_path, capsys):
    month = eng.city.months[-1]
    cname = repo.counties(eng)["county_name"].iloc[0]
    out = tmp_path / "wl.xlsx"
    url = str(eng.url)
    assert scoring_main(["worklist", "--month", month, "--county", cname, "--out", str(out), "--database", url]) == 0
    data = out.read_bytes()
    _no_full_id(data)
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == ["党群服务中心", "居民事务服务中心", "便民跟进服务中心"]
    ws = wb["居民事务服务中心"]
    assert ws.page_setup.orientation == "landscape" and ws.freeze_panes and ws.print_title_rows
    with Session(eng) as s:
        assert s.scalars(select(m.AuditLog).where(m.AuditLog.detail.contains("走访工作清单"))).first()
    assert scoring_main(["worklist", "--month", month, "--county", "无此县", "--out", str(out),
                         "--database", url]) != 0
