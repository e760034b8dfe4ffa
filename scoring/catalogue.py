"""Indicator catalogue (domain.md §4) as versioned configuration.

A catalogue version is a TOML file in ``scoring/catalogues/`` (``v1.toml`` is the default of domain.md §4).
``load_catalogue("v1")`` or ``load_catalogue(path)`` reads and validates it and returns a frozen
:class:`Catalogue`; every problem raises :class:`CatalogueError` with a Chinese message (the message is what
the admin page shows) and an ASCII ``kind`` for programs and tests.

Rule semantics (shared with :mod:`scoring.rules`):

* ``linear(floor, target)``: points = max × clamp((value − floor)/(target − floor), 0, 1). For a ``down``
  indicator the floor lies above the target and the same formula mirrors it.
* ``threshold(target)``: full points when value ≥ target (``up``) or value ≤ target (``down``), else 0.
* ``deduct(per)``: count = ``deduct_from`` − value when ``deduct_from`` is given (P1: missing platforms out of
  3), else count = value; points = max(0, max − per × count).
* ``veto``: ``on`` is ``"value"`` (the indicator's own value) or a reported column (S4: ``mass_incidents``);
  triggered when ``input <op> threshold``.

Targets are a scalar or a table by size class (小型/中型/大型/特大型); they are stored here as a tuple aligned
with ``Catalogue.size_classes``.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

CATALOGUE_DIR = Path(__file__).with_name("catalogues")
DEFAULT_VERSION = "v1"

RULES = ("linear", "threshold", "deduct")
DIRECTIONS = ("up", "down")
SOURCES = ("L", "R")
VETO_OPS = (">", "<", ">=", "<=")

# Indicator codes that scoring.indicators knows how to derive from the ledgers (source "L").
LEDGER_CODES = ("I2", "E1", "E2", "E3", "E4", "E5", "P1", "P2", "P3", "P4", "P5", "N1", "N2", "N3")
# Columns of MonthData.reported an "R" indicator or a veto may read.
REPORTED_FIELDS = ("carriers", "collective_income", "linkage_pct", "satisfaction_pct", "civic_pct",
                   "night_school", "dispute_pct", "mass_incidents", "inspection_problems")
# Chinese labels of veto inputs that are not the indicator's own value.
VETO_INPUT_LABELS = {"mass_incidents": "重大群体性事件数"}


class CatalogueError(ValueError):
    """Invalid catalogue. ``str(err)`` is a Chinese message; ``err.kind`` an ASCII error class."""

    def __init__(self, message: str, kind: str = "invalid"):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Veto:
    on: str               # "value" or a reported column
    op: str               # one of VETO_OPS
    threshold: float
    reason: str           # Chinese template, may use {value}

    def describe(self, indicator_name: str) -> str:
        label = indicator_name if self.on == "value" else VETO_INPUT_LABELS.get(self.on, self.on)
        return f"一票否决：{label}{self.op}{fmt_number(self.threshold)}"


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    points: float


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str          # Dimension.key
    name: str
    unit: str
    source: str             # "L" | "R"
    rule: str               # "linear" | "threshold" | "deduct"
    direction: str          # "up" | "down"
    points: float
    floor: float | None = None
    targets: tuple[float, ...] | None = None   # aligned with Catalogue.size_classes
    per: float | None = None
    deduct_from: float | None = None
    field: str | None = None                   # reported column for source "R"
    veto: Veto | None = None

    @property
    def by_size(self) -> bool:
        return self.targets is not None and len(set(self.targets)) > 1

    def target_for(self, size_index: int) -> float | None:
        return None if self.targets is None else self.targets[size_index]

    def full_value(self, size_index: int) -> float:
        """The value that earns full points: the target; for deduct 0 problems (or ``deduct_from``)."""
        if self.rule == "deduct":
            return float(self.deduct_from) if self.deduct_from is not None else 0.0
        return float(self.targets[size_index])

    def describe(self, size_index: int) -> str:
        """Chinese rule description for a site of the given size class."""
        unit = "%" if self.unit == "%" else self.unit
        m = fmt_number(self.points)
        if self.rule == "linear":
            t = fmt_number(self.targets[size_index])
            f = fmt_number(self.floor)
            if self.direction == "up":
                text = f"线性计分：{f}{unit}及以下得0分，{t}{unit}及以上得满分{m}分，其间按比例"
            else:
                text = f"线性计分：{f}{unit}及以上得0分，{t}{unit}及以下得满分{m}分，其间按比例"
        elif self.rule == "threshold":
            t = fmt_number(self.targets[size_index])
            if self.direction == "up":
                text = f"达标计分：达到{t}{unit}得满分{m}分，否则0分"
            else:
                text = f"达标计分：不超过{t}{unit}得满分{m}分，否则0分"
        else:
            p = fmt_number(self.per)
            if self.deduct_from is not None:
                text = f"扣分计分：应有{fmt_number(self.deduct_from)}{unit}，每缺1{unit}扣{p}分，扣完为止（满分{m}分）"
            else:
                text = f"扣分计分：每1{unit}扣{p}分，扣完为止（满分{m}分）"
        if self.veto is not None:
            text += "；" + self.veto.describe(self.name)
        return text


@dataclass(frozen=True)
class MonteCarloSettings:
    draws: int
    seed: int
    weight_low: float
    weight_high: float
    target_spread: float
    target_mode: str = "span"   # "span" | "value"


@dataclass(frozen=True)
class CountySettings:
    coverage_min: float = 90.0
    lowest_n: int = 2
    praise_n: int = 3
    praise_min_delta: float = 0.0
    interview_months: int = 2
    head_interview_months: int = 3


@dataclass(frozen=True)
class Catalogue:
    version: str
    title: str
    total_points: float
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    size_classes: tuple[str, ...]
    size_bounds: tuple[float, ...]
    grades: tuple[tuple[str, float], ...]      # (name, min_total), best first
    grade_default: str
    min_total: float                            # 五好达标 total
    min_dimension: float                        # 五好达标 every dimension
    monte_carlo: MonteCarloSettings
    county: CountySettings
    source_path: str = ""

    # -- convenience -------------------------------------------------------------------------------
    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    def indicator(self, code: str) -> Indicator:
        for i in self.indicators:
            if i.code == code:
                return i
        raise KeyError(code)

    @property
    def dimension_names(self) -> dict[str, str]:
        """Dimension key -> Chinese name, in catalogue order."""
        return {d.key: d.name for d in self.dimensions}

    @property
    def dimension_columns(self) -> dict[str, str]:
        """Column of MonthScores.sites (``dim_<key>``) -> Chinese dimension name."""
        return {f"dim_{d.key}": d.name for d in self.dimensions}

    def size_class_index(self, population: float) -> int:
        if population is None or (isinstance(population, float) and math.isnan(population)):
            return 0
        return sum(1 for b in self.size_bounds if population >= b)


# ------------------------------------------------------------------------------------------------------
def fmt_number(x: float | None) -> str:
    if x is None:
        return ""
    x = float(x)
    if x == int(x):
        return str(int(x))
    return f"{x:g}"


def list_versions() -> list[str]:
    """Catalogue versions shipped in scoring/catalogues, in natural order (v1, v2, …, v10)."""
    def key(name: str):
        return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
    return sorted((p.stem for p in CATALOGUE_DIR.glob("*.toml")), key=key)


def load_catalogue(version: str | Path = DEFAULT_VERSION) -> Catalogue:
    """Load a catalogue by version name (``"v1"``) or by path to a TOML file."""
    if isinstance(version, Path) or str(version).endswith(".toml") or "/" in str(version):
        path = Path(version)
        expected = None
    else:
        path = CATALOGUE_DIR / f"{version}.toml"
        expected = str(version)
    if not path.is_file():
        raise CatalogueError(f"找不到指标目录版本“{version}”（可用版本：{'、'.join(list_versions()) or '无'}）",
                             "not_found")
    cat = loads_catalogue(path.read_text(encoding="utf-8"), source_path=str(path))
    if expected is not None and cat.version != expected:
        raise CatalogueError(f"指标目录文件 {path.name} 声明的版本号为“{cat.version}”，与文件名不一致",
                             "version_mismatch")
    return cat


def loads_catalogue(text: str, source_path: str = "") -> Catalogue:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"指标目录文件格式错误：{exc}", "toml") from exc
    return catalogue_from_dict(data, source_path=source_path)


# ------------------------------------------------------------------------------------------------------
def _req(d: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in d or d[key] is None:
        raise CatalogueError(f"{where}缺少必填项“{key}”", "missing_field")
    return d[key]


def _num(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        raise CatalogueError(f"{where}应为数值，实际为“{x}”", "not_number")
    return float(x)


def catalogue_from_dict(data: Mapping[str, Any], source_path: str = "") -> Catalogue:
    """Build and validate a Catalogue from the parsed TOML mapping."""
    version = str(_req(data, "version", "指标目录"))
    total = _num(data.get("total_points", 100), "总分")

    # dimensions
    dims: list[Dimension] = []
    for k, d in enumerate(_req(data, "dimensions", "指标目录")):
        key = str(_req(d, "key", f"第{k + 1}个维度"))
        name = str(_req(d, "name", f"维度 {key} "))
        pts = d.get("points")
        dims.append(Dimension(key, name, _num(pts, f"维度“{name}”的分值") if pts is not None else math.nan))
    seen_dims = set()
    for d in dims:
        if d.key in seen_dims:
            raise CatalogueError(f"维度键“{d.key}”重复", "duplicate_dimension")
        seen_dims.add(d.key)
    dim_keys = {d.key: d for d in dims}
    dim_by_name = {d.name: d for d in dims}

    # size classes
    sc = _req(data, "size_classes", "指标目录")
    size_names = tuple(str(x) for x in _req(sc, "names", "规模类型"))
    bounds = tuple(_num(b, "规模分界") for b in _req(sc, "bounds", "规模类型"))
    if len(bounds) != len(size_names) - 1 or any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])):
        raise CatalogueError(f"规模分界应为{len(size_names) - 1}个递增的人数（当前：{list(bounds)}）", "size_bounds")

    # indicators
    inds: list[Indicator] = []
    seen: set[str] = set()
    for k, raw in enumerate(_req(data, "indicators", "指标目录")):
        code = str(_req(raw, "code", f"第{k + 1}个指标"))
        where = f"指标 {code} "
        if code in seen:
            raise CatalogueError(f"指标编码 {code} 重复", "duplicate_code")
        seen.add(code)
        dim = str(_req(raw, "dimension", where))
        if dim not in dim_keys:
            if dim in dim_by_name:
                dim = dim_by_name[dim].key
            else:
                raise CatalogueError(f"指标 {code} 所属维度“{dim}”未定义（已定义：{'、'.join(d.name for d in dims)}）",
                                     "unknown_dimension")
        rule = str(_req(raw, "rule", where))
        if rule not in RULES:
            raise CatalogueError(f"指标 {code} 的计分规则类型“{rule}”未知（应为 linear、threshold 或 deduct）",
                                 "unknown_rule")
        direction = str(raw.get("direction", "up"))
        if direction not in DIRECTIONS:
            raise CatalogueError(f"指标 {code} 的方向“{direction}”未知（应为 up 或 down）", "unknown_direction")
        source = str(_req(raw, "source", where))
        if source not in SOURCES:
            raise CatalogueError(f"指标 {code} 的数据来源“{source}”未知（应为 L 或 R）", "unknown_source")
        points = _num(_req(raw, "points", where), f"指标 {code} 的分值")
        if points <= 0:
            raise CatalogueError(f"指标 {code} 的分值应大于0", "points")
        field = raw.get("field")
        if source == "R":
            if field not in REPORTED_FIELDS:
                raise CatalogueError(f"指标 {code} 为报送指标，其字段“{field}”不在月度指标表中", "unknown_field")
        elif code not in LEDGER_CODES:
            raise CatalogueError(f"指标 {code} 为台账派生指标，但系统不支持该编码的派生口径", "unknown_ledger_code")

        floor = targets = per = deduct_from = None
        if rule in ("linear", "threshold"):
            t = _req(raw, "target", where)
            if isinstance(t, Mapping):
                unknown = [s for s in t if s not in size_names]
                if unknown:
                    raise CatalogueError(f"指标 {code} 的目标值含未知规模类型“{'、'.join(unknown)}”",
                                         "unknown_size_class")
                missing = [s for s in size_names if s not in t]
                if missing:
                    raise CatalogueError(f"指标 {code} 的目标值缺少规模类型“{'、'.join(missing)}”",
                                         "size_target_missing")
                targets = tuple(_num(t[s], f"指标 {code} 的{s}目标值") for s in size_names)
            else:
                targets = (_num(t, f"指标 {code} 的目标值"),) * len(size_names)
        if rule == "linear":
            floor = _num(_req(raw, "floor", where), f"指标 {code} 的下限")
            for s, tv in zip(size_names, targets):
                if direction == "up" and floor >= tv:
                    raise CatalogueError(f"指标 {code} 的下限（{fmt_number(floor)}）不小于{s}目标值"
                                         f"（{fmt_number(tv)}）", "floor_not_below_target")
                if direction == "down" and floor <= tv:
                    raise CatalogueError(f"指标 {code} 为逆向指标，其下限（{fmt_number(floor)}）应大于{s}目标值"
                                         f"（{fmt_number(tv)}）", "floor_not_below_target")
        if rule == "deduct":
            per = _num(_req(raw, "per", where), f"指标 {code} 的每项扣分")
            if per <= 0:
                raise CatalogueError(f"指标 {code} 的每项扣分应大于0", "per")
            if raw.get("deduct_from") is not None:
                deduct_from = _num(raw["deduct_from"], f"指标 {code} 的应有数")

        veto = None
        if raw.get("veto") is not None:
            v = raw["veto"]
            on = str(v.get("on", "value"))
            if on != "value" and on not in REPORTED_FIELDS:
                raise CatalogueError(f"指标 {code} 的一票否决依据“{on}”未知", "veto")
            op = str(_req(v, "op", f"指标 {code} 的一票否决"))
            if op not in VETO_OPS:
                raise CatalogueError(f"指标 {code} 的一票否决比较符“{op}”未知（应为 > < >= <=）", "veto")
            veto = Veto(on, op, _num(_req(v, "threshold", f"指标 {code} 的一票否决"), "否决阈值"),
                        str(v.get("reason", raw.get("name", code))))
        inds.append(Indicator(code=code, dimension=dim, name=str(_req(raw, "name", where)),
                              unit=str(raw.get("unit", "")), source=source, rule=rule, direction=direction,
                              points=points, floor=floor, targets=targets, per=per, deduct_from=deduct_from,
                              field=field if source == "R" else None, veto=veto))

    if not inds:
        raise CatalogueError("指标目录中没有任何指标", "empty")
    s = sum(i.points for i in inds)
    if not math.isclose(s, total, abs_tol=1e-9):
        raise CatalogueError(f"各指标分值合计为{fmt_number(s)}分，应为{fmt_number(total)}分", "points_total")
    for d in dims:
        ds = sum(i.points for i in inds if i.dimension == d.key)
        if not math.isnan(d.points) and not math.isclose(ds, d.points, abs_tol=1e-9):
            raise CatalogueError(f"维度“{d.name}”的指标分值合计为{fmt_number(ds)}分，应为{fmt_number(d.points)}分",
                                 "dimension_total")
    # a dimension that did not declare its points gets the sum of its indicators
    dims = [d if not math.isnan(d.points)
            else Dimension(d.key, d.name, sum(i.points for i in inds if i.dimension == d.key)) for d in dims]
    empty_dims = [d.name for d in dims if d.points == 0]
    if empty_dims:
        raise CatalogueError(f"维度“{'、'.join(empty_dims)}”没有任何指标", "empty_dimension")
    # keep indicators grouped by dimension in dimension order (stable within a dimension)
    order = {d.key: n for n, d in enumerate(dims)}
    inds.sort(key=lambda i: order[i.dimension])

    grades = []
    for g in _req(data, "grades", "指标目录"):
        grades.append((str(_req(g, "name", "等次")), _num(_req(g, "min_total", "等次"), "等次分数线")))
    grades.sort(key=lambda g: -g[1])
    grade_default = str(data.get("grade_default", {}).get("name", "不合格"))

    std = _req(data, "standard", "指标目录")
    min_total = _num(_req(std, "min_total", "五好达标标准"), "五好达标总分")
    min_dim = _num(_req(std, "min_dimension", "五好达标标准"), "五好达标维度分")

    mc = data.get("monte_carlo", {})
    mcs = MonteCarloSettings(draws=int(mc.get("draws", 1000)), seed=int(mc.get("seed", 20260101)),
                             weight_low=float(mc.get("weight_low", 0.75)),
                             weight_high=float(mc.get("weight_high", 1.25)),
                             target_spread=float(mc.get("target_spread", 0.10)),
                             target_mode=str(mc.get("target_mode", "span")))
    if mcs.draws < 1 or not (0 < mcs.weight_low <= mcs.weight_high) or not (0 <= mcs.target_spread < 1):
        raise CatalogueError("稳健性分析参数不合理（抽样次数≥1，0<权重下限≤权重上限，目标扰动在0到1之间）",
                             "monte_carlo")
    if mcs.target_mode not in ("span", "value"):
        raise CatalogueError(f"稳健性分析目标扰动方式“{mcs.target_mode}”未知（应为 span 或 value）", "monte_carlo")

    cs = data.get("county", {})
    county = CountySettings(coverage_min=float(cs.get("coverage_min", 90)), lowest_n=int(cs.get("lowest_n", 2)),
                            praise_n=int(cs.get("praise_n", 3)),
                            praise_min_delta=float(cs.get("praise_min_delta", 0.0)),
                            interview_months=int(cs.get("interview_months", 2)),
                            head_interview_months=int(cs.get("head_interview_months", 3)))

    return Catalogue(version=version, title=str(data.get("title", version)), total_points=total,
                     dimensions=tuple(dims), indicators=tuple(inds), size_classes=size_names, size_bounds=bounds,
                     grades=tuple(grades), grade_default=grade_default, min_total=min_total, min_dimension=min_dim,
                     monte_carlo=mcs, county=county, source_path=source_path)
