"""一户一档: one household's family, origin, labourers (IDs masked), each rights item with status and side, its
history month by month and the rectification items of its site. Read within the user's scope (filtered in the
query); a household of another county is refused (OutOfScope)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data import households as hh_sql
from data import repository as repo
from domain.idnumber import mask, mask_many
from domain.rights import RIGHTS, platform_for, side_for
from domain.scope import OutOfScope, Scope


@dataclass(frozen=True)
class HouseholdFile:
    code: str
    month: str
    facts: dict[str, object]        # Chinese label -> value
    labour: pd.DataFrame
    rights: pd.DataFrame
    history: pd.DataFrame
    rectifications: pd.DataFrame


def household_file(engine: Engine, code: str, month: str, scope: Scope) -> HouseholdFile | None:
    """None for an unknown household; OutOfScope for one living in a county outside ``scope``."""
    hist = hh_sql.household_history(engine, code, scope.county_code)
    if not len(hist):
        if not scope.is_city and repo.household_county(engine, code) is not None:
            raise OutOfScope("该搬迁户的数据")
        return None
    now = hist[hist["month"] <= month]
    row = (now if len(now) else hist).iloc[-1]
    sites = repo.sites(engine).set_index("site_code")
    site = sites.loc[row["site_code"]] if row["site_code"] in sites.index else None
    facts = {"户编码": code, "安置点": site["site_name"] if site is not None else row["site_code"],
             "县（市、区）": site["county_name"] if site is not None else "", "户主": row["head_name"],
             "户主身份证号": mask(row["head_id"]), "家庭人口": row["family_size"], "劳动力人数": row["labour_count"],
             "迁出地": f"{row['origin_county']}{row['origin_town']}{row['origin_village']}",
             "户籍是否迁入": {True: "是", False: "否"}.get(row["hukou_moved"], "未填"), "台账月份": row["month"]}
    lab = hh_sql.household_labour(engine, code, row["month"])
    yn = {True: "是", False: "否"}
    labour = pd.DataFrame({"姓名": lab["name"], "身份证号": mask_many(lab["person_id"]) if len(lab) else [],
                           "性别": lab["gender"], "参加培训": lab["trained"].map(yn),
                           "取得证书": lab["certified"].map(yn),
                           "就业": lab["employed"].map(yn), "就业形式": lab["employment_form"],
                           "月收入（元）": lab["monthly_income"]})
    rights = pd.DataFrame([{"编码": r.code, "类别": r.category, "事项": r.name,
                            "状态": row[r.code] if row[r.code] is not None else "漏项（未填报）",
                            "责任方": side_for(r.code, row["hukou_moved"]),
                            "服务平台": platform_for(r.code, row["hukou_moved"]).label} for r in RIGHTS])
    history = pd.DataFrame({"月份": hist["month"], "已落实": (hist[[r.code for r in RIGHTS]] == "已落实").sum(axis=1),
                            "未落实": (hist[[r.code for r in RIGHTS]] == "未落实").sum(axis=1),
                            "漏项": hist[[r.code for r in RIGHTS]].isna().sum(axis=1),
                            "家庭人口": hist["family_size"], "劳动力人数": hist["labour_count"],
                            "户籍是否迁入": hist["hukou_moved"].map(yn)})
    rect = repo.rectifications(engine, row["month"])
    rect = rect[rect["site_code"] == row["site_code"]] if len(rect) else rect
    rect = rect[[c for c in ("item_code", "source", "description", "deadline", "status") if c in rect]].rename(
        columns={"item_code": "编号", "source": "来源", "description": "问题", "deadline": "整改时限",
                 "status": "状态"})
    return HouseholdFile(code=code, month=row["month"], facts=facts, labour=labour, rights=rights,
                         history=history, rectifications=rect.reset_index(drop=True))
