"""Command line: `python -m data init|template|import|upgrade` (all honour DATABASE_URL)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示帮助信息并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项：%(value)r（可选：%(choices)s）",
    "expected one argument": "需要一个参数值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "选项不明确：%(option)s 可匹配 %(matches)s",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
}


def _translate(text: str) -> str:
    return _ZH.get(text, text)


def _localise_argparse() -> None:
    argparse._ = _translate  # argparse looks its gettext alias up at call time
    ngettext = argparse.ngettext

    def _ngettext(singular, plural, n):
        return _translate(ngettext(singular, plural, n))

    argparse.ngettext = _ngettext


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    _localise_argparse()
    p = _Parser(prog="python -m data", description="易地搬迁后续扶持监管平台：数据库与台账命令。数据库由环境变量 "
                                                    "DATABASE_URL 指定（默认 var/dashboard.db）。")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    sub.required = True

    init = sub.add_parser("init", help="初始化数据库（城市、县区，可选演示数据）",
                          description="初始化数据库：写入城市与县区，可选生成演示数据。")
    init.add_argument("--city", required=True, metavar="代码或名称", help="城市（市/州）行政区划代码或名称")
    init.add_argument("--demo", action="store_true", help="生成演示数据")
    init.add_argument("--scale", choices=["city", "province"], default="city", help="演示数据规模：city（默认）或 province")

    tpl = sub.add_parser("template", help="导出空白台账导入模板", description="导出空白台账导入模板（.xlsx）。")
    tpl.add_argument("out", metavar="OUT.xlsx", help="输出文件路径")

    imp = sub.add_parser("import", help="导入台账工作簿", description="导入台账工作簿；有任何错误时不写入数据，"
                                                                "并在原文件旁生成「文件名.错误标注.xlsx」。")
    imp.add_argument("file", metavar="FILE.xlsx", help="要导入的工作簿")
    imp.add_argument("--month", metavar="YYYY-MM", help="导入月份（搬迁户、劳动力、组织建设必填）")
    imp.add_argument("--user", default="命令行", metavar="用户名", help="记录在导入日志中的用户名（默认：命令行）")
    imp.add_argument("--county", metavar="县名", help="以该县县级填报员身份导入（只允许本县数据）；不填则以管理员身份导入")

    bnd = sub.add_parser("boundaries", help="上传县级边界（GeoJSON，管理员）",
                         description="用 GeoJSON 文件替换县（市、区）边界：每个要素一个县，属性含 name 与 adcode；"
                                     "有任何问题时不做更改。")
    bnd.add_argument("file", metavar="FILE.geojson", help="边界文件")
    bnd.add_argument("--user", default="管理员", metavar="用户名", help="记录在审计日志中的用户名")

    sub.add_parser("upgrade", help="升级数据库结构（Alembic）", description="把数据库结构升级到最新版本。")
    return p


def _engine():
    from data.db import get_engine
    return get_engine()


def cmd_init(args) -> int:
    from data.cli_init import init_command

    try:
        init_command(args)  # prints the summary; with --demo also stores every month's results
    except Exception as e:  # InitError and the like carry a Chinese message for the user
        if type(e).__name__ in ("InitError", "DemoError", "GeoError"):
            print(str(e), file=sys.stderr)
            return 1
        raise
    return 0


def cmd_template(args) -> int:
    from data.workbook.template import template_bytes

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        print(f"输出文件应以 .xlsx 结尾：{out}", file=sys.stderr)
        return 2
    counties = None
    try:  # county names for the drop-down, when a database is configured and initialised
        import os
        if os.environ.get("DATABASE_URL"):
            from data.repository import counties as county_frame
            counties = county_frame(_engine())["county_name"].tolist() or None
    except Exception:
        counties = None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(template_bytes(counties))
    print(f"已生成导入模板：{out}")
    return 0


def cmd_import(args) -> int:
    from data.workbook import ROLE_ADMIN, ROLE_COUNTY, ImportUser, import_workbook

    path = Path(args.file)
    if not path.is_file():
        print(f"文件不存在：{path}", file=sys.stderr)
        return 2
    engine = _engine()
    user = ImportUser(args.user, ROLE_ADMIN, None)
    if args.county:
        from data.repository import counties as county_frame
        import re
        df = county_frame(engine)
        wanted = re.sub(r"\s+", "", args.county)
        hit = df[(df["county_name"] == wanted) | (df["county_code"] == wanted)]
        if hit.empty:
            names = "、".join(df["county_name"]) or "（数据库中还没有县区，请先运行 init）"
            print(f"未知的县（市、区）「{args.county}」，可选：{names}", file=sys.stderr)
            return 2
        user = ImportUser(args.user, ROLE_COUNTY, str(hit.iloc[0]["county_code"]))
    result = import_workbook(engine, path.read_bytes(), path.name, args.month, user)
    print(f"{result.summary()}（导入编号 {result.import_id}）")
    for x in result.messages:
        print(f"[{x.level}] {x}")
    if not result.ok:
        marked = result.marked_copy
        if marked:
            target = path.with_name(path.stem + ".错误标注.xlsx")
            target.write_bytes(marked)
            print(f"已生成错误标注文件：{target}")
        return 1
    return 0


def cmd_boundaries(args) -> int:
    from pathlib import Path

    from data.boundaries import apply_boundaries
    from data.geo import GeoError

    path = Path(args.file)
    if not path.is_file():
        print(f"找不到文件：{path}", file=sys.stderr)
        return 1
    try:
        result = apply_boundaries(_engine(), path.read_bytes(), args.user)
    except GeoError as e:
        print(str(e) if len(e.problems) <= 1 else "边界文件未导入：\n" + "\n".join(f"  - {p}" for p in e.problems),
              file=sys.stderr)
        return 1
    print(result.summary())
    for w in result.warnings:
        print(f"[警告] {w}")
    return 0


def cmd_upgrade(args) -> int:
    from data.db import create, current_revision, database_url, upgrade_schema

    engine = create(database_url(), upgrade=False)
    before = current_revision(engine)
    upgrade_schema(engine)
    after = current_revision(engine)
    print(f"数据库结构已是最新版本（{after}）" if before == after else f"数据库结构已升级：{before or '空'} → {after}")
    engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {"init": cmd_init, "template": cmd_template, "import": cmd_import, "upgrade": cmd_upgrade,
               "boundaries": cmd_boundaries}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("已取消", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for the user
        from sqlalchemy.exc import OperationalError, SQLAlchemyError
        if isinstance(e, OperationalError):
            print(f"无法连接或操作数据库，请检查 DATABASE_URL：{str(e).splitlines()[0][:300]}", file=sys.stderr)
        elif isinstance(e, SQLAlchemyError):
            print(f"数据库错误：{str(e).splitlines()[0][:300]}", file=sys.stderr)
        else:
            print(f"执行失败：{type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
