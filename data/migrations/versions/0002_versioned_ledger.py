"""versioned ledger store: sites, households, labourers, organisation and rectification items kept as versions

Monthly snapshot copies (one row per month and household / labourer / site) become versions holding from
`valid_from` until `valid_to` (consecutive identical monthly rows collapse into one version); sites and
rectification items gain the month from which they hold; `ledger_snapshots` records which sites each month's
import stated. Every month reads back exactly as before.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SNAPSHOTS = {  # table -> (key column, kind in ledger_snapshots)
    "households": ("household_code", "households"),
    "labourers": ("person_id", "labour"),
    "site_organisation": ("site_code", "organisation"),
}
EXTRA = {"id", "month", "import_id", "source_row"}


def _reflect(bind, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=bind)


def _insert(bind, table: sa.Table, rows: list[dict]) -> None:
    for i in range(0, len(rows), 20000):
        bind.execute(table.insert(), rows[i:i + 20000])


def _columns(old: sa.Table, drop: set[str]) -> list[sa.Column]:
    return [sa.Column(c.name, c.type, nullable=c.nullable) for c in old.columns if c.name not in drop]


def _data_months(bind) -> list[str]:
    months: set[str] = set()
    for t in ("reported_indicators", "households", "labourers", "site_organisation"):
        months |= {r[0] for r in bind.execute(sa.text(f"SELECT DISTINCT month FROM {t}"))}
    return sorted(months)


def _collapse(rows: list[dict], key: str, months: list[str]) -> list[dict]:
    """Rows sorted by (key, month) -> versions: a run of identical rows in consecutive data months is one
    version from its first month until the data month after its last (NULL after the latest month)."""
    index = {mo: i for i, mo in enumerate(months)}
    out: list[dict] = []
    cur = None
    last_i = -2
    for r in rows:
        i = index[r["month"]]
        payload = {k: v for k, v in r.items() if k not in EXTRA}
        if cur is not None and cur["_key"] == r[key] and i == last_i + 1 and cur["_payload"] == payload:
            last_i = i
            cur["_last"] = i
            continue
        if cur is not None:
            out.append(cur)
        cur = {"_key": r[key], "_payload": payload, "_first": i, "_last": i,
               "import_id": r.get("import_id"), "source_row": r.get("source_row")}
        last_i = i
    if cur is not None:
        out.append(cur)
    versions = []
    for v in out:
        d = dict(v["_payload"])
        d["import_id"], d["source_row"] = v["import_id"], v["source_row"]
        d["valid_from"] = months[v["_first"]]
        d["valid_to"] = months[v["_last"] + 1] if v["_last"] + 1 < len(months) else None
        versions.append(d)
    return versions


def upgrade() -> None:
    bind = op.get_bind()
    months = _data_months(bind)
    op.create_table("ledger_snapshots",
                    sa.Column("kind", sa.String(16), nullable=False),
                    sa.Column("scope", sa.String(32), nullable=False),
                    sa.Column("month", sa.String(7), nullable=False),
                    sa.PrimaryKeyConstraint("kind", "scope", "month"))
    snapshots = _reflect(bind, "ledger_snapshots")
    first_month: dict[str, str] = {}
    for row in bind.execute(sa.text("SELECT site_code, MIN(month) FROM reported_indicators GROUP BY site_code")):
        first_month[row[0]] = row[1]

    for name, (key, kind) in SNAPSHOTS.items():
        old = _reflect(bind, name)
        rows = [dict(r._mapping) for r in bind.execute(sa.select(old).order_by(old.c[key], old.c.month))]
        stated = sorted({(r["site_code"], r["month"]) for r in rows})
        for site, mo in stated:
            if mo < first_month.get(site, "9999-99"):
                first_month[site] = mo
        cols = _columns(old, {"id", "month"})
        op.drop_table(name)
        uniq = {"households": "uq_households_code_from", "labourers": "uq_labourers_person_from",
                "site_organisation": "uq_site_organisation_site_from"}[name]
        op.create_table(name, sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                        sa.Column("valid_from", sa.String(7), nullable=False),
                        sa.Column("valid_to", sa.String(7), nullable=True), *cols,
                        sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint(key, "valid_from", name=uniq))
        if name in ("households", "labourers"):
            op.create_index(f"ix_{name}_site", name, ["site_code"])
            op.create_index(f"ix_{name}_from", name, ["valid_from"])
        new = _reflect(bind, name)
        _insert(bind, new, _collapse(rows, key, months))
        _insert(bind, snapshots, [dict(kind=kind, scope=s, month=mo) for s, mo in stated])
        del rows

    # sites: a site holds from the first month with any data of it
    old = _reflect(bind, "sites")
    rows = [dict(r._mapping) for r in bind.execute(sa.select(old))]
    cols = _columns(old, {"code"})
    op.drop_table("sites")
    op.create_table("sites", sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column("code", sa.String(32), nullable=False),
                    sa.Column("valid_from", sa.String(7), nullable=False),
                    sa.Column("valid_to", sa.String(7), nullable=True),
                    *[c for c in cols if c.name != "county_code"],
                    sa.Column("county_code", sa.String(12), sa.ForeignKey("counties.code"), nullable=False),
                    sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("code", "valid_from", name="uq_sites_code_from"))
    default = months[0] if months else "2000-01"
    for r in rows:
        r["valid_from"] = first_month.get(r["code"], default)
        r["valid_to"] = None
    _insert(bind, _reflect(bind, "sites"), rows)

    # rectification items: the stored row becomes the item's version from the month it was found
    old = _reflect(bind, "rectifications")
    rows = [dict(r._mapping) for r in bind.execute(sa.select(old))]
    cols = _columns(old, {"code", "import_id", "source_row"})
    op.drop_table("rectifications")
    op.create_table("rectifications", sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column("code", sa.String(32), nullable=False),
                    sa.Column("valid_from", sa.String(7), nullable=False), *cols,
                    sa.Column("note", sa.Text(), nullable=True),
                    sa.Column("recorded_by", sa.String(64), nullable=True),
                    sa.Column("recorded_at", sa.DateTime(), nullable=True),
                    sa.Column("import_id", sa.Integer(), nullable=True),
                    sa.Column("source_row", sa.Integer(), nullable=True),
                    sa.PrimaryKeyConstraint("id"),
                    sa.UniqueConstraint("code", "valid_from", name="uq_rectifications_code_from"))
    for r in rows:
        r["valid_from"] = r["found_date"].strftime("%Y-%m")
    _insert(bind, _reflect(bind, "rectifications"), rows)

    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("valid_from", sa.String(7), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("版本化台账不能降级：请从备份恢复")
