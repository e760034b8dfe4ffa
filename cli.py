"""Every command of the project, in one place (all honour ``DATABASE_URL``):

    python -m data init --city CODE_OR_NAME [--demo] [--scale city|province]   # set up a city (and the demo)
    python -m data template OUT.xlsx                                            # blank ledger template
    python -m data import FILE.xlsx [--month YYYY-MM] [--user NAME] [--county NAME]
    python -m data boundaries FILE.geojson [--user NAME]                        # replace county boundaries
    python -m data upgrade                                                      # schema upgrade (Alembic)
    python -m data purge-originals [--days N] [--user NAME]                     # drop expired import originals
    python -m data create-user USERNAME --role ROLE [--county NAME|CODE] [--display-name TEXT]
    python -m data set-password USERNAME                                        # password asked, never an argument
    python -m data list-users
    python -m scoring rank --month YYYY-MM --out FILE.xlsx|.csv [--database URL]
    python -m scoring circular --month YYYY-MM --out FILE.xlsx|FILE.docx [--issue] [--user NAME] [--database URL]
    python -m scoring catalogue [VERSION_OR_PATH]                               # validate and list a catalogue

``data/__main__.py`` and ``scoring/__main__.py`` only hand over to ``data_main`` / ``scoring_main``. This module
sits above every layer (like the pages), so it may use the services: ``init --demo`` scores every month once
through ``services.store`` and ``rank`` reads the stored results.
"""
from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from data.accounts import find_user
from data.boundaries import apply_boundaries
from data.cli_init import InitError, run_init
from data.db import create, current_revision, database_url, get_engine, get_setting, upgrade_schema
from data.demo import DemoError
from data.exports import log_export, ranking_csv, ranking_workbook
from data.geo import GeoError
from data.repository import counties as county_frame
from data.workbook import ROLE_ADMIN, ROLE_COUNTY, ImportUser, import_workbook
from data.workbook.messages import listed
from data.workbook.retention import purge_originals
from data.workbook.template import template_bytes
from domain.calendar import is_month
from domain.roles import CIRCULAR, ROLES, can, roles_with
from scoring.catalogue import CatalogueError, list_versions, load_catalogue
from scoring.tables import site_ranking_table
from services import circular as circular_service
from domain.scope import Scope
from services import accounts, store
from services.errors import UNREACHABLE, db_message
from services.worklist import worklist, worklist_xlsx

# ------------------------------------------------------------------------------------------------ argparse in Chinese

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


# ------------------------------------------------------------------------------------------------ python -m data

def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m data``."""
    _localise_argparse()
    p = _Parser(prog="python -m data", description="易地搬迁后续扶持监管平台：数据库与台账命令。数据库由环境变量 "
                                                    "DATABASE_URL 指定（默认 var/dashboard.db）。")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    sub.required = True

    init = sub.add_parser("init", help="初始化数据库（城市、县区，可选演示数据）",
                          description="初始化数据库：写入城市与县区，可选生成演示数据。")
    init.add_argument("--city", required=True, metavar="代码或名称", help="城市（市/州）行政区划代码或名称")
    init.add_argument("--demo", action="store_true", help="生成演示数据")
    init.add_argument("--scale", choices=["city", "province"], default="city",
                      help="演示数据规模：city（默认）或 province")

    tpl = sub.add_parser("template", help="导出空白台账导入模板", description="导出空白台账导入模板（.xlsx）。")
    tpl.add_argument("out", metavar="OUT.xlsx", help="输出文件路径")

    imp = sub.add_parser("import", help="导入台账工作簿", description="导入台账工作簿；有任何错误时不写入数据，"
                                                                "并在原文件旁生成「文件名.错误标注.xlsx」。")
    imp.add_argument("file", metavar="FILE.xlsx", help="要导入的工作簿")
    imp.add_argument("--month", metavar="YYYY-MM", help="导入月份（搬迁户、劳动力、组织建设必填）")
    imp.add_argument("--user", default="命令行", metavar="用户名", help="记录在导入日志中的用户名（默认：命令行）")
    imp.add_argument("--county", metavar="县名",
                     help="以该县县级填报员身份导入（只允许本县数据）；不填则以管理员身份导入")

    bnd = sub.add_parser("boundaries", help="上传县级边界（GeoJSON，管理员）",
                         description="用 GeoJSON 文件替换县（市、区）边界：每个要素一个县，属性含 name 与 adcode；"
                                     "有任何问题时不做更改。")
    bnd.add_argument("file", metavar="FILE.geojson", help="边界文件")
    bnd.add_argument("--user", default="管理员", metavar="用户名", help="记录在审计日志中的用户名")

    sub.add_parser("upgrade", help="升级数据库结构（Alembic）", description="把数据库结构升级到最新版本。")

    prg = sub.add_parser("purge-originals", help="删除超过保留期的导入原件",
                         description="删除超过保留期的成功导入原件，以及未成功导入时留下的原件；导入记录本身保留。"
                                     "保留期默认取环境变量 LEDGER_KEEP_ORIGINALS_DAYS（未设置为 1095 天）。")
    prg.add_argument("--days", type=int, metavar="天数", help="成功导入的原件保留天数")
    prg.add_argument("--user", default="命令行", metavar="用户名", help="记录在审计日志中的用户名")

    cu = sub.add_parser("create-user", help="创建账号（密码在提示时输入，或取标准输入的第一行）",
                        description="创建账号。密码在提示时输入两次；标准输入不是终端时取其第一行。密码不能作为参数。")
    cu.add_argument("username", metavar="用户名")
    cu.add_argument("--role", required=True, metavar="角色", help="、".join(ROLES))
    cu.add_argument("--county", metavar="县名或代码", help="所属县（市、区），县级填报员必填")
    cu.add_argument("--display-name", metavar="姓名", help="显示名称（默认同用户名）")
    sp = sub.add_parser("set-password", help="设置（重置）账号密码，并解除锁定",
                        description="设置账号密码：在提示时输入两次；标准输入不是终端时取其第一行。")
    sp.add_argument("username", metavar="用户名")
    sub.add_parser("list-users", help="列出全部账号", description="列出全部账号：用户名、姓名、角色、县区、状态。")
    return p


CLI_USER = "命令行"


def _read_password() -> str:
    """The new password: asked twice at a terminal, else the first line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("新密码：")
    if getpass.getpass("再次输入新密码：") != first:
        raise accounts.AccountError("两次输入的密码不一致")
    return first


def cmd_create_user(args) -> int:
    engine = get_engine()
    try:
        acc = accounts.create_account(engine, args.username, _read_password(), args.role, county=args.county,
                                      display_name=args.display_name, by=CLI_USER)
    except accounts.AccountError as e:
        print(f"未创建账号：{e}", file=sys.stderr)
        return 2
    where = f"，{acc.county_name}" if acc.county_name else ""
    print(f"已创建账号 {acc.username}（{acc.role}{where}）")
    return 0


def cmd_set_password(args) -> int:
    engine = get_engine()
    try:
        accounts.set_password(engine, args.username, _read_password(), by=CLI_USER)
    except accounts.AccountError as e:
        print(f"未设置密码：{e}", file=sys.stderr)
        return 2
    print(f"已设置账号 {args.username} 的密码（锁定已解除，该账号的已登录会话已结束）")
    return 0


def cmd_list_users(args) -> int:
    rows = accounts.list_accounts(get_engine())
    if not rows:
        print("还没有任何账号。请用 create-user 创建第一个管理员。")
        return 0
    print("用户名\t姓名\t角色\t县（市、区）\t状态")
    now = accounts.utcnow()
    for u in rows:
        state = "已停用" if not u.active else ("锁定中" if u.locked_until and u.locked_until > now else
                                              ("未设密码" if not u.password_hash else "正常"))
        print(f"{u.username}\t{u.display_name}\t{u.role}\t{u.county_name or '—'}\t{state}")
    return 0


def cmd_init(args) -> int:
    """Set up the city (and with --demo build the demo and score every month once, so the dashboard never waits
    for the history on its first view)."""
    engine = get_engine()
    try:
        line = run_init(engine, args.city, demo=args.demo, scale=args.scale or "city")
    except (InitError, DemoError, GeoError) as e:  # a Chinese message for the user
        print(str(e), file=sys.stderr)
        return 1
    print(line)
    if args.demo:
        n = store.precompute(engine)
        print(f"已计算并保存{n}个月的评分结果")
    return 0


def cmd_template(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        print(f"输出文件应以 .xlsx 结尾：{out}", file=sys.stderr)
        return 2
    counties = None
    try:  # county names for the drop-down, when a database is configured and initialised
        if os.environ.get("DATABASE_URL"):
            counties = county_frame(get_engine())["county_name"].tolist() or None
    except Exception:  # noqa: BLE001 - the template is still useful without the drop-down
        counties = None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(template_bytes(counties))
    print(f"已生成导入模板：{out}")
    return 0


def cmd_import(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"文件不存在：{path}", file=sys.stderr)
        return 2
    engine = get_engine()
    user = ImportUser(args.user, ROLE_ADMIN, None)
    if args.county:
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
    for x in listed(result.messages):  # the first ones in detail and a line counting the rest
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
    path = Path(args.file)
    if not path.is_file():
        print(f"找不到文件：{path}", file=sys.stderr)
        return 1
    try:
        result = apply_boundaries(get_engine(), path.read_bytes(), args.user)
    except GeoError as e:
        print(str(e) if len(e.problems) <= 1 else "边界文件未导入：\n" + "\n".join(f"  - {p}" for p in e.problems),
              file=sys.stderr)
        return 1
    print(result.summary())
    for w in result.warnings:
        print(f"[警告] {w}")
    return 0


def cmd_upgrade(args) -> int:
    engine = create(database_url(), upgrade=False)
    before = current_revision(engine)
    upgrade_schema(engine)
    after = current_revision(engine)
    print(f"数据库结构已是最新版本（{after}）" if before == after else f"数据库结构已升级：{before or '空'} → {after}")
    engine.dispose()
    return 0


def cmd_purge_originals(args) -> int:
    if args.days is not None and args.days < 0:
        print("保留天数不能为负数", file=sys.stderr)
        return 2
    n = purge_originals(get_engine(), days=args.days, user=args.user)
    print(f"已删除{n}个导入原件（超过保留期的，及未成功导入的）" if n else "没有需要删除的导入原件")
    return 0


_DATA_COMMANDS = {"init": cmd_init, "template": cmd_template, "import": cmd_import, "upgrade": cmd_upgrade,
                  "boundaries": cmd_boundaries, "purge-originals": cmd_purge_originals,
                  "create-user": cmd_create_user, "set-password": cmd_set_password, "list-users": cmd_list_users}


def data_main(argv: list[str] | None = None) -> int:
    """``python -m data …``; returns the exit code and never shows the user a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return _DATA_COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("已取消", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - never a traceback for the user
        return _failed(e)


def _failed(e: BaseException) -> int:
    """Exit code 1 with a Chinese sentence (services.errors); a database failure also names the database setting
    and, for the administrator, the driver's first line."""
    db = db_message(e)
    if db:
        hint = "（请检查 DATABASE_URL）" if isinstance(e, OperationalError) and db == UNREACHABLE else ""
        print(f"数据库错误：{db}{hint}。详情：{str(e).splitlines()[0][:300] if str(e) else type(e).__name__}",
              file=sys.stderr)
    elif isinstance(e, SQLAlchemyError):
        print(f"数据库错误：{str(e).splitlines()[0][:300]}", file=sys.stderr)
    else:
        print(f"执行失败：{type(e).__name__}: {e}", file=sys.stderr)
    return 1


# ------------------------------------------------------------------------------------------------ python -m scoring

def _fail(msg: str, code: int = 2) -> int:
    print(f"错误：{msg}", file=sys.stderr)
    return code


def cmd_rank(args) -> int:
    """The month's site ranking workbook (or CSV), from the result store; the export is audited."""
    if not is_month(args.month or ""):
        return _fail(f"月份“{args.month}”格式不正确，应为 YYYY-MM（例如 2026-10）")
    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        return _fail("输出文件应为 .xlsx 或 .csv")
    engine = get_engine(args.database)
    try:
        mr = store.month_results(engine, args.month)   # computed and stored on first use
    except LookupError as exc:
        return _fail(str(exc))
    scores = mr.scores
    if len(scores.sites) == 0:
        return _fail(f"{args.month}没有任何安置点的评分结果")
    table = site_ranking_table(scores, mr.mc)
    if args.county:       # one county's sites only (their city ranks); without --county the command is city-wide
        cf = county_frame(engine)
        hit = cf[(cf["county_code"] == args.county) | (cf["county_name"] == args.county)]
        if hit.empty:
            return _fail(f"县（市、区）“{args.county}”不存在，请使用县名或县级行政区划代码")
        table = table[table["县"] == hit["county_name"].iloc[0]].reset_index(drop=True)
    city = get_setting(engine, "city_name") or "本市"
    if out.suffix.lower() == ".csv":
        data = ranking_csv(table)
    else:
        data = ranking_workbook(table, title=f"{city}易地搬迁安置点五好社区创建排名", month=args.month,
                                catalogue_version=scores.catalogue_version,
                                demo=get_setting(engine, "demo") == "1")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    with Session(engine) as session, session.begin():  # every export is audited (domain.md §10)
        log_export(session, username=os.environ.get("USER") or "命令行", what="安置点排名（命令行）",
                   month=args.month, detail=out.name)
    n_q = int(scores.sites["qualified"].sum())
    print(f"已导出{args.month}安置点排名：{len(table)}个安置点，五好达标{n_q}个 → {out}")
    return 0


def cmd_circular(args) -> int:
    """The month's circular as the page makes it (Excel or Word); with --issue it is issued (印发) as on the page:
    both files kept in the circulars table with an audit entry, and the issued file written. Audited either way."""
    if not is_month(args.month or ""):
        return _fail(f"月份“{args.month}”格式不正确，应为 YYYY-MM（例如 2026-10）")
    out = Path(args.out)
    kind = out.suffix.lower().lstrip(".")
    if kind not in circular_service.KINDS:
        return _fail("输出文件应为 .xlsx 或 .docx")
    engine = get_engine(args.database)
    user = args.user or os.environ.get("USER") or "命令行"
    if args.issue:                      # 印发 is done by an account whose role may issue (市级督导, 管理员)
        if not args.user:
            return _fail("印发须用 --user 指定具有印发权限的账号（市级督导或管理员）")
        acc = find_user(engine, args.user)
        if acc is None or not acc.active:
            return _fail(f"账号“{args.user}”不存在或已停用")
        if not can(acc.role, CIRCULAR):
            who = "、".join(roles_with(CIRCULAR))
            return _fail(f"账号“{args.user}”的角色（{acc.role}）无权印发月度通报，该功能仅限{who}")
    try:
        if args.issue:
            row_id = circular_service.issue(engine, args.month, user, role=acc.role)
            data = circular_service.download(engine, row_id, kind)
        else:
            data = circular_service.draft_file(circular_service.circular_data(engine, args.month), kind)
    except LookupError as exc:
        return _fail(str(exc))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    with Session(engine) as session, session.begin():  # every export is audited (domain.md §10)
        log_export(session, username=user, what=f"月度通报{circular_service.KINDS[kind].label}（命令行）",
                   month=args.month, detail=out.name)
    print(f"已{'印发' if args.issue else '导出'}{args.month}月度通报 → {out}")
    return 0


def cmd_worklist(args) -> int:
    """Work lists per service platform for one county (or the city); the export is audited."""
    if not is_month(args.month or ""):
        return _fail(f"月份“{args.month}”格式不正确，应为 YYYY-MM（例如 2026-10）")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        return _fail("输出文件应为 .xlsx")
    engine = get_engine(args.database)
    county = None
    if args.county:
        cf = county_frame(engine)
        hit = cf[(cf["county_name"] == args.county) | (cf["county_code"] == args.county)]
        if hit.empty:
            return _fail(f"未找到县（市、区）“{args.county}”")
        county = str(hit["county_code"].iloc[0])
    wl = worklist(engine, args.month, county, Scope.city())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(worklist_xlsx(wl, args.month))
    with Session(engine) as session, session.begin():
        log_export(session, username=os.environ.get("USER") or "命令行", what="走访工作清单（命令行）",
                   month=args.month, detail=f"{wl.county_name}；{out.name}")
    print(f"已导出{args.month}{wl.county_name}走访工作清单：{wl.households}户 → {out}")
    return 0


def cmd_catalogue(args) -> int:
    try:
        cat = load_catalogue(args.version)
    except CatalogueError as exc:
        return _fail(str(exc))
    print(f"指标目录 {cat.version}：{cat.title}（{len(cat.indicators)}项指标，合计{cat.total_points:g}分）")
    for ind in cat.indicators:
        print(f"  {ind.code}  {cat.dimension_names[ind.dimension]}  {ind.name}（{ind.points:g}分）  {ind.describe(0)}")
    print(f"可用版本：{'、'.join(list_versions())}")
    return 0


def scoring_main(argv: list[str] | None = None) -> int:
    """``python -m scoring …``; returns the exit code."""
    ap = argparse.ArgumentParser(prog="python -m scoring", description="五好社区评分引擎")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rank", help="导出某月安置点排名表（Excel 或 CSV）")
    r.add_argument("--month", required=True, help="月份，YYYY-MM")
    r.add_argument("--out", required=True, help="输出文件（.xlsx 或 .csv）")
    r.add_argument("--database", default=None, help="数据库 URL（默认 DATABASE_URL 或内置 SQLite）")
    r.add_argument("--county", default=None,
                   help="只导出该县（市、区）的安置点（县名或代码）；不指定时为全市（管理员命令行，全市范围）")
    r.set_defaults(fn=cmd_rank)
    ci = sub.add_parser("circular", help="导出（或印发）某月月度通报（Excel 或 Word）")
    ci.add_argument("--month", required=True, help="月份，YYYY-MM")
    ci.add_argument("--out", required=True, help="输出文件（.xlsx 或 .docx）")
    ci.add_argument("--issue", action="store_true", help="印发：保存两种文件并记入审计日志")
    ci.add_argument("--user", default=None, help="操作人账号（印发时必填，须为市级督导或管理员；导出默认当前系统用户）")
    ci.add_argument("--database", default=None, help="数据库 URL（默认 DATABASE_URL 或内置 SQLite）")
    ci.set_defaults(fn=cmd_circular)
    w = sub.add_parser("worklist", help="导出某月权益事项走访工作清单（按服务平台分表的 Excel）")
    w.add_argument("--month", required=True, help="月份，YYYY-MM")
    w.add_argument("--county", default=None, help="县（市、区）名称或代码（默认全市）")
    w.add_argument("--out", required=True, help="输出文件（.xlsx）")
    w.add_argument("--database", default=None, help="数据库 URL（默认 DATABASE_URL 或内置 SQLite）")
    w.set_defaults(fn=cmd_worklist)
    c = sub.add_parser("catalogue", help="校验并显示指标目录")
    c.add_argument("version", nargs="?", default="v1", help="版本号（如 v1）或 TOML 文件路径")
    c.set_defaults(fn=cmd_catalogue)
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except KeyboardInterrupt:
        print("已取消", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - never a traceback for the user
        return _failed(e)
