"""Household rights (domain.md §7) and employment work lists.

Rights
------
* ``RIGHTS_ITEMS`` — the §7 catalogue (code, category, name, side, platform); R01's side is 迁入地 when the
  household's 户籍 has moved (``hukou_moved`` True), else 迁出地 (blank → 迁出地, §11), and its platform follows
  the side (迁入地 → 居民事务服务中心, 迁出地 → 便民跟进服务中心).
* ``household_rights(md, ...)`` — one row per (household, item): status (已落实/未落实/不适用/未核实), side,
  platform, ``gap`` (未落实 or blank), ``missing`` (漏项 = blank), head ID masked.
* ``gap_list(md, ...)`` — the rows of ``household_rights`` with a gap (the work list routed to the side/platform).
* ``coverage(md, by=...)`` — pooled coverage by any of "site", "county", "item", "side" (or a combination, or
  ``()`` for the city): counts done / open / blank / not_applicable, ``applicable`` (= all − 不适用), ``gaps``
  (= open + blank) and ``coverage`` = done / applicable × 100 (NaN when nothing applies). Same pooling as N2/N3.

Employment
----------
* ``employment_metrics(md, by="site" | "county")`` — labour, employed, trained, certified, workshop (帮扶车间/园区企业),
  rates in % (employment_rate, training_rate, certified_rate, workshop_rate), households_with_labour, zero_emp.
* ``zero_employment_households(md, ...)`` — the 零就业家庭 list (劳动力人数 ≥ 1 and no employed labourer), only
  in sites that list labourers (a site listing none has E2 缺报 and no 零就业家庭, §11) — the same households
  that E2 counts, so site, county and list figures agree.

ID numbers in these lists are masked by ``domain.idnumber.mask`` unless ``mask=False``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from domain.idnumber import mask_many as mask_ids
from domain.organisation import PLATFORM_CONVENIENCE, PLATFORM_RESIDENT
from domain.rights import RIGHT_OPEN, RIGHTS, RIGHTS_CODES, SIDES, STATUSES

from .frames import MonthData
from .indicators import (BLANK, DEST, DONE, NOT_APPLICABLE, OPEN, WORKSHOP_FORMS, lookup, month_ledger, numeric,
                         site_order, truthy)

# Status text by the internal status codes of scoring.indicators (DONE, OPEN, NOT_APPLICABLE, BLANK).
STATUS_TEXT = np.array([s.label for s in STATUSES], dtype=object)
# The domain catalogue as a frame: side None = by hukou (R01), platform None = by side.
RIGHTS_ITEMS = pd.DataFrame([(r.code, r.category, r.name, r.side, r.platform.label if r.platform else None)
                             for r in RIGHTS], columns=["item", "category", "item_name", "side", "platform"])


# ------------------------------------------------------------------------------------------------ internals
class _Pairs:
    """The month's households with site/county indices and (n, 15) status and side code matrices."""

    def __init__(self, md: MonthData, site_codes: Sequence[str] | None = None,
                 county_codes: Sequence[str] | None = None):
        _index_sites(self, md)
        sites, L = self.sites, self.L
        hh, hs = L.hh, L.hh_site
        keep = np.ones(len(hh), dtype=bool)
        if site_codes is not None:
            keep &= np.isin(hs, lookup(pd.Series(list(site_codes), dtype=object), sites))
        if county_codes is not None:
            wanted = lookup(pd.Series(list(county_codes), dtype=object), self.counties)
            keep &= np.isin(self.site_county[hs] if len(hs) else hs, wanted)
        if not keep.all():
            hh, hs = hh[keep].reset_index(drop=True), hs[keep]
        self.hh, self.hh_site = hh, hs
        self.hh_county = self.site_county[hs] if len(hs) else hs
        n = len(hh)
        self.codes = L.codes if keep.all() else L.codes[keep]
        side = np.array([0 if s == DEST else 1 for s in RIGHTS_ITEMS["side"].fillna(DEST)], dtype=np.int8)
        self.side = np.broadcast_to(side, (n, len(RIGHTS_CODES))).copy()
        self.side[:, 0] = np.where(truthy(hh["hukou_moved"]), 0, 1)


def _index_sites(obj, md: MonthData) -> None:
    """The site and county indices both internals share: obj.sites, .L (the ledger), .site_frame, .counties and
    .site_county (each site's county position)."""
    obj.sites = site_order(md)
    obj.L = month_ledger(md, obj.sites)
    obj.site_frame = md.sites.drop_duplicates("site_code", keep="last").set_index("site_code").reindex(obj.sites)
    obj.counties = _county_index(md, obj.site_frame)
    obj.site_county = lookup(obj.site_frame["county_code"], obj.counties)


def _county_index(md: MonthData, site_frame: pd.DataFrame) -> pd.Index:
    """Counties in sort_order (then code); counties that only appear on sites are appended by code."""
    c = md.counties
    known = []
    if len(c):
        c = c.assign(_o=pd.to_numeric(c["sort_order"], errors="coerce")).sort_values(["_o", "county_code"],
                                                                                     na_position="last")
        known = [x for x in c["county_code"].astype(object).tolist() if x is not None]
    extra = sorted({x for x in site_frame["county_code"].astype(object).tolist() if x is not None} - set(known))
    return pd.Index(list(dict.fromkeys(known + extra)), dtype=object, name="county_code")


def county_names(md: MonthData, counties: pd.Index) -> np.ndarray:
    names = {}
    for df in (md.sites, md.counties):
        if len(df):
            names.update({k: v for k, v in zip(df["county_code"].astype(object), df["county_name"].astype(object))
                          if v is not None and not (isinstance(v, float) and np.isnan(v))})
    return np.array([names.get(c, c) for c in counties], dtype=object)


def _coverage_frame(counts: np.ndarray) -> dict[str, np.ndarray]:
    done, opn, na, blank = (counts[:, i] for i in (DONE, OPEN, NOT_APPLICABLE, BLANK))
    applicable = done + opn + blank
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(applicable > 0, done / np.where(applicable > 0, applicable, 1) * 100.0, np.nan)
    return dict(done=done.astype(np.int64), open=opn.astype(np.int64), blank=blank.astype(np.int64),
                not_applicable=na.astype(np.int64), applicable=applicable.astype(np.int64),
                gaps=(opn + blank).astype(np.int64), coverage=cov)


# ------------------------------------------------------------------------------------------------ rights
def household_rights(md: MonthData, *, site_codes: Sequence[str] | None = None,
                     county_codes: Sequence[str] | None = None, items: Sequence[str] | None = None,
                     mask: bool = True) -> pd.DataFrame:
    """One row per (household, item) with status, side, platform, gap and 漏项 flags."""
    pr = _Pairs(md, site_codes, county_codes)
    item_idx = np.arange(len(RIGHTS_CODES)) if items is None else \
        np.array([RIGHTS_CODES.index(i) for i in items], dtype=np.int64)
    n, m = len(pr.hh), len(item_idx)
    codes = pr.codes[:, item_idx]
    side = pr.side[:, item_idx]
    fixed_platform = RIGHTS_ITEMS["platform"].to_numpy(dtype=object)[item_idx]
    side_txt = np.array(SIDES, dtype=object)[side]
    platform = np.where(pd.isna(fixed_platform)[None, :],
                        np.where(side == 0, PLATFORM_RESIDENT.label, PLATFORM_CONVENIENCE.label),
                        np.broadcast_to(fixed_platform, (n, m)))
    sf = pr.site_frame
    cnames = county_names(md, pr.counties)
    heads = pr.hh["head_id"].to_numpy(dtype=object)
    heads = mask_ids(heads) if mask else heads
    rep = lambda a: np.repeat(np.asarray(a, dtype=object), m)  # noqa: E731
    out = pd.DataFrame({
        "household_code": rep(pr.hh["household_code"].to_numpy(dtype=object)),
        "site_code": rep(pr.sites.to_numpy(dtype=object)[pr.hh_site]),
        "site_name": rep(sf["site_name"].to_numpy(dtype=object)[pr.hh_site]),
        "county_code": rep(pr.counties.to_numpy(dtype=object)[pr.hh_county]),
        "county_name": rep(cnames[pr.hh_county]),
        "head_name": rep(pr.hh["head_name"].to_numpy(dtype=object)),
        "head_id": rep(heads),
        "hukou_moved": rep(pr.hh["hukou_moved"].to_numpy(dtype=object)),
        "item": np.tile(np.array(RIGHTS_CODES, dtype=object)[item_idx], n),
        "category": np.tile(RIGHTS_ITEMS["category"].to_numpy(dtype=object)[item_idx], n),
        "item_name": np.tile(RIGHTS_ITEMS["item_name"].to_numpy(dtype=object)[item_idx], n),
        "status": STATUS_TEXT[codes.reshape(-1)],
        "side": side_txt.reshape(-1),
        "platform": platform.reshape(-1),
        "gap": ((codes == OPEN) | (codes == BLANK)).reshape(-1),
        "missing": (codes == BLANK).reshape(-1),
    })
    return out


def gap_list(md: MonthData, *, site_codes: Sequence[str] | None = None, county_codes: Sequence[str] | None = None,
             side: str | None = None, include_blank: bool = True, mask: bool = True) -> pd.DataFrame:
    """Gaps (缺口: 未落实 or blank) routed to side and platform; ``include_blank=False`` keeps only 未落实."""
    hr = household_rights(md, site_codes=site_codes, county_codes=county_codes, mask=mask)
    keep = hr["gap"] if include_blank else hr["status"].eq(RIGHT_OPEN)
    if side is not None:
        keep &= hr["side"].eq(side)
    return hr[keep.to_numpy(dtype=bool)].reset_index(drop=True)


_BY = ("site", "county", "item", "side")


def coverage(md: MonthData, by: str | Sequence[str] = "site", *, site_codes: Sequence[str] | None = None,
             county_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Pooled rights coverage grouped by any of site / county / item / side (``()`` → one city row)."""
    by = (by,) if isinstance(by, str) else tuple(by)
    for b in by:
        if b not in _BY:
            raise ValueError(f"无法按“{b}”汇总权益落实情况（可选：site、county、item、side）")
    pr = _Pairs(md, site_codes, county_codes)
    n, m = pr.codes.shape
    dims = {"site": (np.broadcast_to(pr.hh_site[:, None], (n, m)), len(pr.sites)),
            "county": (np.broadcast_to(pr.hh_county[:, None], (n, m)), len(pr.counties)),
            "item": (np.broadcast_to(np.arange(m)[None, :], (n, m)), m),
            "side": (pr.side.astype(np.int64), 2)}
    shape = tuple(dims[b][1] for b in by)
    G = int(np.prod(shape)) if shape else 1
    if shape:
        key = np.ravel_multi_index(tuple(dims[b][0].reshape(-1).astype(np.int64) for b in by), shape)
    else:
        key = np.zeros(n * m, dtype=np.int64)
    counts = np.bincount(key * 4 + pr.codes.reshape(-1).astype(np.int64), minlength=G * 4).reshape(G, 4)
    present = counts.sum(axis=1) > 0
    if by and "site" in by and "item" not in by and "side" not in by and len(by) == 1:
        present = np.ones(G, dtype=bool)  # every site gets a row, even without households
    idx = np.unravel_index(np.flatnonzero(present), shape) if shape else ()
    cols: dict[str, np.ndarray] = {}
    sf = pr.site_frame
    cnames = county_names(md, pr.counties)
    for b, ix in zip(by, idx):
        if b == "site":
            cols["site_code"] = pr.sites.to_numpy(dtype=object)[ix]
            cols["site_name"] = sf["site_name"].to_numpy(dtype=object)[ix]
            ci = pr.site_county[ix]
            cols["county_code"] = np.where(ci >= 0, pr.counties.to_numpy(dtype=object)[np.clip(ci, 0, None)], None) \
                if len(pr.counties) else np.full(len(ix), None, dtype=object)
            cols["county_name"] = np.where(ci >= 0, cnames[np.clip(ci, 0, None)], None) if len(cnames) \
                else np.full(len(ix), None, dtype=object)
        elif b == "county":
            cols["county_code"] = pr.counties.to_numpy(dtype=object)[ix]
            cols["county_name"] = cnames[ix]
        elif b == "item":
            cols["item"] = np.array(RIGHTS_CODES, dtype=object)[ix]
            cols["category"] = RIGHTS_ITEMS["category"].to_numpy(dtype=object)[ix]
            cols["item_name"] = RIGHTS_ITEMS["item_name"].to_numpy(dtype=object)[ix]
        else:
            cols["side"] = np.array(SIDES, dtype=object)[ix]
    c = counts[present]
    cols.update(_coverage_frame(c))
    return pd.DataFrame(cols)


def county_side_coverage(md: MonthData) -> pd.DataFrame:
    """One row per county (sort order): coverage_in (迁入地), coverage_out (迁出地), coverage (all), pooled; with
    the counts behind them (done_in / applicable_in, done_out / applicable_out, done_all / applicable_all)."""
    pr = _Pairs(md)
    n, m = pr.codes.shape
    C = len(pr.counties)
    key = np.broadcast_to(pr.hh_county[:, None], (n, m)).reshape(-1).astype(np.int64)
    side = pr.side.reshape(-1).astype(np.int64)
    codes = pr.codes.reshape(-1).astype(np.int64)
    counts = np.bincount((key * 2 + side) * 4 + codes, minlength=C * 8).reshape(C, 2, 4)
    din, dout, dall = (_coverage_frame(counts[:, 0, :]), _coverage_frame(counts[:, 1, :]),
                       _coverage_frame(counts.sum(axis=1)))
    return pd.DataFrame({"county_code": pr.counties.to_numpy(dtype=object),
                         "coverage_in": din["coverage"], "coverage_out": dout["coverage"],
                         "coverage": dall["coverage"], "rights_gaps": dall["gaps"], "rights_missing": dall["blank"],
                         "done_in": din["done"], "applicable_in": din["applicable"],
                         "done_out": dout["done"], "applicable_out": dout["applicable"],
                         "done_all": dall["done"], "applicable_all": dall["applicable"]})


# ------------------------------------------------------------------------------------------------ employment
class _Employment:
    def __init__(self, md: MonthData):
        _index_sites(self, md)
        L = self.L
        lab = L.lab
        self.employed = truthy(lab["employed"])
        self.trained = truthy(lab["trained"])
        self.certified = truthy(lab["certified"])
        self.workshop = lab["employment_form"].isin(WORKSHOP_FORMS).to_numpy(dtype=bool, na_value=False)
        hh_emp = np.bincount(L.lab_hh[(L.lab_hh >= 0) & self.employed], minlength=len(L.hh)) if len(L.hh) \
            else np.zeros(0, dtype=np.int64)
        self.labour_count = np.nan_to_num(numeric(L.hh["labour_count"]))
        self.has_labour = self.labour_count >= 1
        # E2 of a site that lists no labourer is 缺报 (§11), so its households count as no 零就业家庭 anywhere
        site_lists = L.n_lab > 0
        listed = site_lists[L.hh_site] if len(L.hh_site) else np.zeros(0, dtype=bool)
        self.zero = self.has_labour & (hh_emp == 0) & listed


def employment_metrics(md: MonthData, by: str = "site") -> pd.DataFrame:
    """Labour and employment figures per site or county (rates in %, NaN without labourers)."""
    if by not in ("site", "county"):
        raise ValueError(f"无法按“{by}”汇总就业情况（可选：site、county）")
    e = _Employment(md)
    L = e.L
    if by == "site":
        G = len(L.sites)
        lab_g, hh_g = L.lab_site, L.hh_site
        keys = {"site_code": L.sites.to_numpy(dtype=object),
                "site_name": e.site_frame["site_name"].to_numpy(dtype=object)}
        cnames = county_names(md, e.counties)
        ci = e.site_county
        keys["county_code"] = np.where(ci >= 0, e.counties.to_numpy(dtype=object)[np.clip(ci, 0, None)], None) \
            if len(e.counties) else np.full(G, None, dtype=object)
        keys["county_name"] = np.where(ci >= 0, cnames[np.clip(ci, 0, None)], None) if len(cnames) \
            else np.full(G, None, dtype=object)
    else:
        G = len(e.counties)
        sc = e.site_county
        lab_g = sc[L.lab_site] if len(L.lab_site) else L.lab_site
        hh_g = sc[L.hh_site] if len(L.hh_site) else L.hh_site
        ok_l, ok_h = lab_g >= 0, hh_g >= 0
        lab_g, hh_g = np.where(ok_l, lab_g, G), np.where(ok_h, hh_g, G)   # unknown county → dropped bucket
        keys = {"county_code": e.counties.to_numpy(dtype=object), "county_name": county_names(md, e.counties)}

    def s(idx, w):
        return np.bincount(idx, weights=w.astype(float), minlength=G + 1)[:G] if len(idx) else np.zeros(G)

    ones_l = np.ones(len(lab_g))
    labour = s(lab_g, ones_l)
    out = dict(keys)
    out["households"] = s(hh_g, np.ones(len(hh_g))).astype(np.int64)
    out["labour"] = labour.astype(np.int64)
    for name, flags in (("employed", e.employed), ("trained", e.trained), ("certified", e.certified),
                        ("workshop", e.workshop)):
        out[name] = s(lab_g, flags).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        for rate, name in (("employment_rate", "employed"), ("training_rate", "trained"),
                           ("certified_rate", "certified"), ("workshop_rate", "workshop")):
            out[rate] = np.where(labour > 0, out[name] / np.where(labour > 0, labour, 1) * 100.0, np.nan)
    out["households_with_labour"] = s(hh_g, e.has_labour).astype(np.int64)
    out["zero_emp"] = s(hh_g, e.zero).astype(np.int64)
    return pd.DataFrame(out)


def zero_employment_households(md: MonthData, *, site_codes: Sequence[str] | None = None,
                               county_codes: Sequence[str] | None = None, mask: bool = True) -> pd.DataFrame:
    """零就业家庭: households with 劳动力人数 ≥ 1 and no employed labourer in the labour ledger."""
    e = _Employment(md)
    L = e.L
    keep = e.zero.copy()
    if site_codes is not None:
        keep &= np.isin(L.hh_site, lookup(pd.Series(list(site_codes), dtype=object), L.sites))
    if county_codes is not None:
        wanted = lookup(pd.Series(list(county_codes), dtype=object), e.counties)
        keep &= np.isin(e.site_county[L.hh_site] if len(L.hh_site) else L.hh_site, wanted)
    hh = L.hh[keep]
    hs = L.hh_site[keep]
    ci = e.site_county[hs] if len(hs) else hs
    listed = np.bincount(L.lab_hh[L.lab_hh >= 0], minlength=len(L.hh))[keep] if len(L.hh) else np.zeros(0)
    cnames = county_names(md, e.counties)
    heads = hh["head_id"].to_numpy(dtype=object)
    return pd.DataFrame({
        "household_code": hh["household_code"].to_numpy(dtype=object),
        "site_code": L.sites.to_numpy(dtype=object)[hs],
        "site_name": e.site_frame["site_name"].to_numpy(dtype=object)[hs],
        "county_code": np.where(ci >= 0, e.counties.to_numpy(dtype=object)[np.clip(ci, 0, None)], None)
        if len(e.counties) else np.full(len(hs), None, dtype=object),
        "county_name": np.where(ci >= 0, cnames[np.clip(ci, 0, None)], None) if len(cnames)
        else np.full(len(hs), None, dtype=object),
        "head_name": hh["head_name"].to_numpy(dtype=object),
        "head_id": mask_ids(heads) if mask else heads,
        "family_size": numeric(hh["family_size"]),
        "labour_count": e.labour_count[keep].astype(np.int64),
        "labourers_listed": np.asarray(listed, dtype=np.int64),
    })
