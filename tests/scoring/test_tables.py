"""Display tables with Chinese headers (§8) and the command line."""

import pandas as pd
import pytest

from scoring import __main__ as cli
from scoring.catalogue import load_catalogue
from scoring.engine import score_month
from scoring.progress import county_progress
from scoring.robustness import monte_carlo
from scoring.tables import county_table, indicator_table, rank_change_text, site_ranking_table
from tests.scoring.builders import combine, perfect_site

CAT = load_catalogue()

RANKING_COLUMNS = ["排名", "同类排名", "安置点编码", "安置点", "县", "规模", "总分", "指标完整度", "缺报",
                   "产业带动好", "就业帮扶好", "公共服务好", "精神状态好", "融入环境好", "等次", "达标", "较上月",
                   "短板", "排名区间"]
COUNTY_COLUMNS = ["序号", "县(市、区)", "安置点数", "搬迁人口", "劳动力", "就业率", "参训率", "持证率", "零就业家庭",
                  "达标/序时", "权益落实率", "整改逾期", "县均得分", "排名", "较上月"]


def two_months():
    may = combine("2026-05", [perfect_site("A", county="K1", reported_overrides=dict(satisfaction_pct=70)),   # 94
                              perfect_site("B", county="K1"),                                              # 100
                              perfect_site("C", county="K2", reported_overrides=dict(satisfaction_pct=80))])  # 97
    june = combine("2026-06", [perfect_site("A", county="K1"),                                               # 100
                               perfect_site("B", county="K1", reported_overrides=dict(satisfaction_pct=80)),  # 97
                               perfect_site("C", county="K2", reported_overrides=dict(satisfaction_pct=80)),  # 97
                               perfect_site("N", county="K2", population=5000,
                                            reported_overrides=dict(satisfaction_pct=70, carriers=2))])      # 94
    s5 = score_month(may, CAT)
    s6 = score_month(june, CAT, s5)
    return (may, s5), (june, s6)


def test_site_ranking_table():
    _, (june, s6) = two_months()
    mc = monte_carlo(s6, CAT)
    t = site_ranking_table(s6, mc)
    assert list(t.columns) == RANKING_COLUMNS
    assert t["安置点编码"].tolist() == ["A", "B", "C", "N"]
    assert t["排名"].tolist() == [1, 2, 2, 4] and t["同类排名"].tolist() == [1, 2, 2, 1]
    assert t["较上月"].tolist() == ["↑2", "↓1", "—", "新"]
    assert t["总分"].tolist() == [100, 97, 97, 94]
    assert t["规模"].tolist() == ["中型", "中型", "中型", "大型"]
    assert t["达标"].tolist() == [True, True, True, True] and t["等次"].tolist() == ["优秀"] * 4
    assert t["短板"].tolist() == ["产业带动好", "精神状态好", "精神状态好", "精神状态好"]
    assert all(isinstance(x, str) and (x.isdigit() or "–" in x) for x in t["排名区间"])
    m = mc.set_index("site_code")
    for code, txt in zip(t["安置点编码"], t["排名区间"]):
        lo, hi = m.loc[code, "rank_p05"], m.loc[code, "rank_p95"]
        assert txt == (str(lo) if lo == hi else f"{lo}–{hi}")
    assert (site_ranking_table(s6)["排名区间"] == "—").all()
    assert t["指标完整度"].tolist() == ["22/22"] * 4 and t["缺报"].tolist() == [""] * 4


def test_ranking_table_shows_completeness_and_marks_missing():
    # §11 "Completeness": beside every site score. B lists no labourer (I2/E1/E2/E3/E4 缺报) and reports no
    # satisfaction (S1 缺报): 22 − 6 = 16 reported → "16/22", marked with its codes. A is complete.
    b = perfect_site("B")
    b["labour"] = []
    b["reported"]["satisfaction_pct"] = None
    sc = score_month(combine(parts=[perfect_site("A"), b]), CAT)
    t = site_ranking_table(sc).set_index("安置点编码")
    assert t.loc["A", "指标完整度"] == "22/22" and t.loc["A", "缺报"] == ""
    assert t.loc["B", "指标完整度"] == "16/22" and t.loc["B", "缺报"] == "I2、E1、E2、E3、E4、S1"
    # B: 100 − I2 5 − E1 6 − E2 4 − E3 4 − E4 3 − S1 6 = 72 points, not vetoed (E2 缺报 cannot veto)
    assert t.loc["B", "总分"] == 72 and t.loc["B", "等次"] == "合格"


def test_rank_change_text():
    assert [rank_change_text(d) for d in (3, -2, 0, None, pd.NA)] == ["↑3", "↓2", "—", "—", "—"]
    assert rank_change_text(None, is_new=True) == "新"


def test_county_table():
    months = two_months()
    cms = county_progress(months, CAT)
    t = county_table(cms[-1])
    assert list(t.columns) == COUNTY_COLUMNS
    assert t["县(市、区)"].tolist() == ["县K1", "县K2"] and t["序号"].tolist() == [1, 2]
    # K1: (100 + 97)/2 = 98.5 vs (94 + 100)/2 = 97 → +1.5; K2: (97 + 94)/2 = 95.5 vs 97 → −1.5
    assert t["县均得分"].tolist() == [98.5, 95.5] and t["较上月"].tolist() == [1.5, -1.5]
    assert t["排名"].tolist() == [1, 2] and t["安置点数"].tolist() == [2, 2]
    assert t["达标/序时"].tolist() == ["2/1", "2/1"]   # batch 2026, June: 2 × 6/12 = 1
    assert t["权益落实率"].tolist() == [100, 100] and t["整改逾期"].tolist() == [0, 0]
    t2 = county_table(cms[-1], with_flags=True)
    assert list(t2.columns) == COUNTY_COLUMNS + ["进度滞后", "约谈建议"]


def test_indicator_table():
    _, (june, s6) = two_months()
    t = indicator_table(s6, "B")
    assert len(t) == 22 and t.loc[t["编码"] == "S1", "得分"].iloc[0] == pytest.approx(3)
    assert t["状态"].unique().tolist() == ["正常"]


def test_cli_rank_writes_the_ranking_workbook(tmp_path):
    """`python -m scoring rank` on a real (small) demo database: the 68 sites, the header of the issue, and the
    same ranks as the stored month results."""
    from openpyxl import load_workbook

    from data.db import create
    from data.demo import build_demo
    from services import store

    url = f"sqlite:///{tmp_path / 'rank.db'}"
    engine = create(url)
    build_demo(engine, months=2, end_month="2026-10", household_factor=0.02)
    out = tmp_path / "排名.xlsx"
    assert cli.main(["rank", "--month", "2026-10", "--out", str(out), "--database", url]) == 0
    ws = load_workbook(out).active
    rows = [r for r in ws.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "排名")
    header = [c for c in rows[header_at] if c is not None]
    for col in ["排名", "同类排名", "安置点编码", "安置点", "县", "规模", "总分", "产业带动好", "就业帮扶好",
                "公共服务好", "精神状态好", "融入环境好", "等次", "达标", "较上月", "短板", "排名区间"]:
        assert col in header
    data = [r for r in rows[header_at + 1:] if r and isinstance(r[0], (int, float))]
    assert len(data) == 68
    code_col = header.index("安置点编码")
    ranks = {r[code_col]: r[0] for r in data}
    official = store.month_results(engine, "2026-10").scores.sites.set_index("site_code")["rank"]
    assert ranks == {k: int(v) for k, v in official.items()}
    from sqlalchemy import select

    from data.models import AuditLog
    with engine.connect() as conn:
        audit = conn.execute(select(AuditLog.action, AuditLog.detail)).all()
    assert any(a == "导出" and "2026-10" in d and "排名.xlsx" in d for a, d in audit)


def test_cli_rejects_bad_month(capsys):
    assert cli.main(["rank", "--month", "2026-13", "--out", "x.xlsx"]) == 2
    assert "月份“2026-13”格式不正确" in capsys.readouterr().err


def test_cli_catalogue(capsys):
    assert cli.main(["catalogue", "v1"]) == 0
    assert "22项指标" in capsys.readouterr().out
    assert cli.main(["catalogue", "v99"]) == 2
    assert "找不到指标目录版本" in capsys.readouterr().err
