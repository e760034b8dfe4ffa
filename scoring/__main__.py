"""Command line of the scoring engine (the only module of scoring/ that touches the database layer).

    python -m scoring rank --month 2026-10 --out 排名.xlsx [--database URL]
    python -m scoring catalogue [VERSION_OR_PATH]        # validate a catalogue and print its indicators

``rank`` reads the month's results through ``services.store.month_results(engine, month)`` (scores and the
Monte Carlo robustness frame, computed once and kept in the database). The table comes from
``scoring.tables.site_ranking_table`` and the workbook from ``data.exports.ranking_workbook`` (``.csv`` output:
``data.exports.ranking_csv``).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path


def _fail(msg: str, code: int = 2) -> int:
    print(f"错误：{msg}", file=sys.stderr)
    return code


def _month_results(engine, month: str):
    """(MonthScores, mc frame) of a month, from the result store (computed and stored on first use)."""
    from services import store

    mr = store.month_results(engine, month)
    return mr.scores, mr.mc


def cmd_rank(args) -> int:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month or ""):
        return _fail(f"月份“{args.month}”格式不正确，应为 YYYY-MM（例如 2026-10）")
    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        return _fail("输出文件应为 .xlsx 或 .csv")
    from data.db import get_engine, get_setting
    from data.exports import ranking_csv, ranking_workbook

    from .tables import site_ranking_table

    engine = get_engine(args.database)
    try:
        scores, mc = _month_results(engine, args.month)
    except LookupError as exc:
        return _fail(str(exc))
    if len(scores.sites) == 0:
        return _fail(f"{args.month}没有任何安置点的评分结果")
    table = site_ranking_table(scores, mc)
    city = get_setting(engine, "city_name") or "本市"
    if out.suffix.lower() == ".csv":
        data = ranking_csv(table)
    else:
        data = ranking_workbook(table, title=f"{city}易地搬迁安置点五好社区创建排名", month=args.month,
                                catalogue_version=scores.catalogue_version,
                                demo=get_setting(engine, "demo") == "1")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    from sqlalchemy.orm import Session

    from data.exports import log_export

    with Session(engine) as session, session.begin():  # every export is audited (domain.md §10)
        log_export(session, username=os.environ.get("USER") or "命令行", what="安置点排名（命令行）",
                   month=args.month, detail=out.name)
    n_q = int(scores.sites["qualified"].sum())
    print(f"已导出{args.month}安置点排名：{len(table)}个安置点，五好达标{n_q}个 → {out}")
    return 0


def cmd_catalogue(args) -> int:
    from .catalogue import CatalogueError, list_versions, load_catalogue

    try:
        cat = load_catalogue(args.version)
    except CatalogueError as exc:
        return _fail(str(exc))
    print(f"指标目录 {cat.version}：{cat.title}（{len(cat.indicators)}项指标，合计{cat.total_points:g}分）")
    for ind in cat.indicators:
        print(f"  {ind.code}  {cat.dimension_names[ind.dimension]}  {ind.name}（{ind.points:g}分）  {ind.describe(0)}")
    print(f"可用版本：{'、'.join(list_versions())}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scoring", description="五好社区评分引擎")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rank", help="导出某月安置点排名表（Excel 或 CSV）")
    r.add_argument("--month", required=True, help="月份，YYYY-MM")
    r.add_argument("--out", required=True, help="输出文件（.xlsx 或 .csv）")
    r.add_argument("--database", default=None, help="数据库 URL（默认 DATABASE_URL 或内置 SQLite）")
    r.set_defaults(fn=cmd_rank)
    c = sub.add_parser("catalogue", help="校验并显示指标目录")
    c.add_argument("version", nargs="?", default="v1", help="版本号（如 v1）或 TOML 文件路径")
    c.set_defaults(fn=cmd_catalogue)
    args = ap.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
