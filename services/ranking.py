"""安置点排名 view model: the month's sites with scores, robustness and facts; filters; the §8 table; exports."""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine

from data import exports
from scoring import tables
from services import settings
from domain.scope import Scope
from services.results import MonthView, Provider, catalogue, dimension_labels, grade_names, scoped_provider

VIEWS = ("overall", "class")      # 全市排名, 同类排名 (by size class)


@dataclass
class Ranking:
    """All (or the filtered) sites of a month (English columns, see MonthScores.sites, plus robustness and
    facts), with the catalogue's vocabulary for the filters and the table headers."""
    sites: pd.DataFrame
    catalogue_version: str
    dimensions: dict[str, str]      # dim_<key> column -> Chinese name
    size_classes: list[str]
    grades: list[str]               # best first

    def __len__(self) -> int:
        return len(self.sites)


@dataclass(frozen=True)
class RankingFilters:
    """What the ranking page shows: empty = all; `text` describes the filters for exports and the audit log."""
    counties: tuple[str, ...] = ()
    size_classes: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    qualified: bool | None = None
    view: str = "overall"           # one of VIEWS
    text: str = ""


def ranking_frame(engine: Engine, month: str, res: Provider | None = None, scope: Scope | None = None) -> Ranking:
    """The month's sites inside the scope (a county keeps the city ranks of its own sites, sees no others)."""
    return ranking_of(scoped_provider(engine, res, scope)(month))


def ranking_of(r: MonthView, sites: pd.DataFrame | None = None) -> Ranking:
    """The month's sites (or the given subset of them) with the month's catalogue vocabulary."""
    return Ranking(sites=(r.sites if sites is None else sites).copy(), catalogue_version=r.catalogue_version,
                   dimensions=dimension_labels(r), size_classes=list(catalogue(r).size_classes), grades=grade_names(r))


def filter_ranking(ranking: Ranking, f: RankingFilters) -> Ranking:
    out = ranking.sites
    if f.counties:
        out = out[out["county_code"].isin(f.counties)]
    if f.size_classes:
        out = out[out["size_class"].isin(f.size_classes)]
    if f.grades:
        out = out[out["grade"].isin(f.grades)]
    if f.qualified is not None:
        out = out[out["qualified"] == bool(f.qualified)]
    return replace(ranking, sites=out)


def ranking_table(ranking: Ranking, view: str = "overall", *, score_change: bool = True) -> pd.DataFrame:
    """The §8 site table for the given (filtered) sites: scoring.tables.ranking_table, the same builder as the
    official export, with a numeric 总分较上月 column for the screen."""
    return tables.ranking_table(ranking.sites, ranking.dimensions, view=view, score_change=score_change)


def ranking_workbook_bytes(engine: Engine, month: str, table: pd.DataFrame, *, view: str = "overall",
                           filters: str = "") -> bytes:
    title = f"{settings.short_city_name(engine)}易地搬迁安置点五好社区创建排名"
    if view == "class":
        title += "（分规模）"
    return exports.ranking_workbook(table, title=title, month=month,
                                    catalogue_version=settings.catalogue_version(engine), demo=settings.is_demo(engine),
                                    note=(f"筛选条件：{filters}" if filters else None))


def ranking_csv_bytes(table: pd.DataFrame) -> bytes:
    return exports.ranking_csv(table)
