"""Deterministic demo city: real county boundaries, 68 relocation sites, 24 months of ledgers.

``build_demo(engine, city="522300", ...)`` writes counties (with boundaries), sites, monthly household /
labour snapshots, site organisation, reported indicators, rectification items, follow-up records, demo
users and settings — everything the dashboard needs — from one seeded ``numpy.random.Generator``, so the
same call always produces the same database content.

Story told by the data (latest month = ``end_month``, default the last full month before today):
rates improve over the two years and more sites reach 五好 (a little behind the creation plan for the
first batch); in recent months there is planted trouble so that every flag and veto of domain.md occurs:
zero-employment households (E2 veto) at three sites, an unenrolled school-age child (P2 veto) making a
formerly 达标 site fall below for two months (摘牌预警), one 重大群体性事件 (S4 veto), missing service
platforms (P1), 应保未保 households (P5), missing reports (缺报), blank rights (漏项), overdue rectification
items, a county lagging creation progress with low rights coverage (flagged 3+ months → 建议约谈主要负责人)
and a county flagged for two months (→ 建议约谈).

Speed: everything is generated with vectorised numpy once per demo; monthly snapshots only recompute the
status arrays. Rows go in with the driver's bulk paths (sqlite3 ``executemany`` / psycopg ``COPY``) inside
one transaction, so a failed build leaves the database untouched.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from data import geo
from data import models as m
from data.repository import STATIC, bump_data_version
from scoring.frames import POSTS, RIGHTS_CODES, period_end, previous_month

DEFAULT_CITY = "522300"
DEFAULT_SEED = 20261
SIZE_NAMES = ("小型", "中型", "大型", "特大型")
SIZE_BOUNDS = (800, 3000, 10000)
CITY_SIZE_COUNTS = (18, 24, 20, 6)         # 68 sites
CITY_POPULATION = 340_000
PROVINCE_SITES = 1000
PROVINCE_HOUSEHOLDS = 450_000
PEOPLE_PER_HOUSEHOLD = 4.2
LABOUR_PER_PERSON = 0.52
BATCH_YEARS = (2026, 2027, 2028)
URBAN, RURAL = "城镇集中安置区", "农村集中安置点"
FORMS = ("帮扶车间", "园区企业", "公益性岗位", "县内务工", "省内县外务工", "省外务工", "自主创业", "灵活就业")
FORM_WAGE = np.array([2400, 3200, 1500, 2800, 3600, 4900, 4200, 2300], dtype=float)
ROLES = {"leader": "市领导", "supervisor": "市级督导", "operator": "县级填报员", "admin": "管理员"}

# rights columns: index in RIGHTS_CODES (R01..R15)
_DEST_ONLY = [1, 8, 9, 10, 11, 12, 13, 14]      # R02, R09..R15
_ORIGIN_ONLY = [2, 3, 4, 5, 6, 7]              # R03..R08
_APPLICABLE = np.array([1.0, .07, .92, .75, .85, .88, .45, .25, 1.0, .48, 1.0, 1.0, .97, .13, .025])


class DemoError(RuntimeError):
    """Demo cannot be built here (message in Chinese)."""


@dataclass
class DemoResult:
    city_code: str
    city_name: str
    scale: str
    counties: int
    sites: int
    months: list[str]
    households: int            # listed households per month (latest month)
    labourers: int             # listed labourers per month (latest month)
    population: int            # 搬迁人数 on the site sheet
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        first, last = self.months[0], self.months[-1]
        return (f"已生成演示数据：{self.city_name}，{self.counties}个县（市、区），{self.sites}个安置点，"
                f"{len(self.months)}个月（{first}至{last}），搬迁人口{self.population:,}人，"
                f"每月台账{self.households:,}户、劳动力{self.labourers:,}人，用时{self.seconds:.1f}秒")


def default_end_month(today: dt.date | None = None) -> str:
    """The last full month before `today`."""
    today = today or dt.date.today()
    return previous_month(f"{today.year}-{today.month:02d}")


def month_list(end_month: str, n: int) -> list[str]:
    out = [end_month]
    for _ in range(n - 1):
        out.append(previous_month(out[-1]))
    return out[::-1]


# ====================================================================== names and places

# Curated towns (乡镇/街道) for the default demo city 黔西南州; other cities get generated names.
_QXN_TOWNS = {
    "兴义市": ("洒金街道 坪东街道 丰都街道 桔山街道 黄草街道 木贾街道 下五屯街道 栗坪街道",
               "顶效镇 马岭镇 郑屯镇 万屯镇 鲁屯镇 威舍镇 清水河镇 敬南镇 泥凼镇 乌沙镇 七舍镇 捧乍镇 则戎镇 "
               "巴结镇 南盘江镇 仓更镇 猪场坪乡 雄武乡"),
    "兴仁市": ("东湖街道 城南街道 真武山街道 陆关街道",
               "屯脚镇 巴铃镇 百德镇 雨樟镇 潘家庄镇 回龙镇 下山镇 新龙场镇 大山镇 鲁础营回族乡"),
    "普安县": ("盘水街道 南湖街道 茶源街道", "江西坡镇 楼下镇 罐子窑镇 三板桥镇 地瓜镇 青山镇 龙吟镇 窝沿乡 高棉乡"),
    "晴隆县": ("莲城街道 东观街道 三宝街道", "沙子镇 碧痕镇 大厂镇 鸡场镇 花贡镇 中营镇 光照镇 长流乡 安谷乡"),
    "贞丰县": ("珉谷街道 永丰街道 双峰街道", "者相镇 北盘江镇 龙场镇 白层镇 鲁贡镇 小屯镇 长田镇 挽澜镇 沙坪镇 平街乡 连环乡 鲁容乡"),
    "望谟县": ("王母街道 平洞街道 新屯街道", "蔗香镇 乐旺镇 桑郎镇 石屯镇 打易镇 麻山镇 乐元镇 边饶镇 郊纳镇 大观镇 昂武镇 油迈瑶族乡"),
    "册亨县": ("者楼街道 高洛街道 纳福街道", "冗渡镇 丫他镇 巧马镇 秧坝镇 弼佑镇 岩架镇 双江镇 坡妹镇 八渡镇 达央乡 庆坪乡 百口乡"),
    "安龙县": ("栖凤街道 钱相街道 五福街道 招堤街道 春潭街道",
               "德卧镇 万峰湖镇 木咱镇 洒雨镇 普坪镇 龙广镇 兴隆镇 龙山镇 新桥镇 海子镇 笃山镇 平乐镇"),
}
# Curated site counts and story roles for 黔西南州 (A lags creation, B flagged two months, C one overdue item).
_QXN_SITES = {"兴义市": 12, "兴仁市": 7, "普安县": 8, "晴隆县": 8, "贞丰县": 7, "望谟县": 10, "册亨县": 9, "安龙县": 7}
_QXN_ROLES = {"A": "望谟县", "B": "册亨县", "C": "晴隆县", "X": "兴义市", "Y": "安龙县"}

_STREET_STEMS = "城关 城南 城北 城东 城西 新城 东湖 南湖 西城 北城 河西 凤凰".split()
_PLACE_1 = list("纳者坝板弄岜拉冗百打坡那平新大小上下中龙石马牛羊岩沙水河花高长黄红青白田木茶桃梨鸡鱼凉")
_PLACE_2 = list("寨坪阳洪王腊桑哈贡蒙山坡冲湾坝沟林田岭塘溪场垭院营屯堡桥关庄寨湾")
_COMMUNITY = ("栗坪 洒金 新桥 阳光 幸福 和谐 锦绣 安居 富康 兴隆 振兴 欣悦 福泽 同心 德馨 惠民 春晖 茶源 锦华 康乐 "
              "安和 金福 瑞丰 丰泽 云岭 樱花 紫荆 桂花 梨园 玉兰 龙腾 凤鸣 祥和 荣华 吉祥 万福 博爱 明德 仁和 怡景 "
              "永安 长乐 宏图 锦程 福星 安康 平安 团结 友谊 新安 新民 新兴 新华 阳明 朝阳 启航 希望 梦圆 乐居 悦居 "
              "康居 宜居 福居 嘉园 馨园 怡园 翠园 芳园 兴华 兴民 兴安 益民 利民 便民 润泽 和美 鑫源 金竹").split()
_SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 罗 韦 岑 陆 龙 潘 梁 班 蒙 石 徐 孙 胡 朱 高 何 郭 马 谢 邓 "
             "田 熊 卢 冉 安 顾 敖 邱 岑 雷").split()
_SURNAME_W = np.array([9, 8, 7, 6, 6, 7, 7, 3, 5, 3, 6, 5, 3, 3, 4, 3, 3, 2, 2, 3, 2, 2, 2, 2, 2, 2, 2, 2,
                       2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=float)
_MALE = list("国明志海军华建文永成德光林勇强平发富贵福春金忠学家正天兴荣祥昌顺江松波涛伟超鹏飞龙亮")
_FEMALE = list("秀英芳兰梅珍玉琴娟燕霞丽艳红萍敏静婷菊凤花莲美仙翠桂月丹雪慧")

_RECT_PROBLEMS = [
    ("督导督查", "部分搬迁户不动产登记未办结", "自然资源局"),
    ("督导督查", "帮扶车间开工不足，吸纳搬迁劳动力人数下降", "工业和信息化局"),
    ("明察暗访", "安置点消防通道堵塞，部分楼栋灭火器过期", "应急管理局"),
    ("明察暗访", "便民跟进服务中心未按要求常态化运行", "生态移民局"),
    ("群众反映", "迁出地耕地地力保护补贴未及时发放", "农业农村局"),
    ("群众反映", "小区路灯损坏、排水不畅，群众反映强烈", "住房和城乡建设局"),
    ("通报", "零就业家庭动态清零工作不到位", "人力资源和社会保障局"),
    ("督导督查", "搬迁劳动力就业台账更新不及时、信息不准确", "人力资源和社会保障局"),
    ("督导督查", "义务教育适龄子女入学情况底数不清", "教育局"),
    ("明察暗访", "群众夜校开展不经常，宣讲内容单一", "社区党委"),
    ("通报", "双五级组织体系楼栋长配备不齐", "社区党委"),
    ("群众反映", "低保申请办理时限过长", "民政局"),
    ("督导督查", "迁出地林地承包经营权确权信息未更新", "林业局"),
    ("明察暗访", "安置点物业服务不到位，环境卫生较差", "住房和城乡建设局"),
]

_CASES = ["“三个服务中心”一站式办理搬迁群众诉求", "帮扶车间家门口就业让搬迁群众稳得住", "群众夜校点亮搬迁新生活",
          "双五级网格化管理提升社区治理水平", "迁出地“三块地”盘活增加搬迁群众财产性收入",
          "社区集体经济发展带动群众增收", "新市民计划助力搬迁群众融入城市"]


def _town_lists(rng: np.random.Generator, county_names: list[str], city_code: str) -> dict[str, tuple[list[str], list[str]]]:
    """{county: (streets, rural towns)} — curated for 黔西南州, generated elsewhere."""
    out = {}
    used: set[str] = set()
    for name in county_names:
        if city_code == DEFAULT_CITY and name in _QXN_TOWNS:
            streets, towns = (s.split() for s in _QXN_TOWNS[name])
            out[name] = (list(streets), list(towns))
            continue
        k_st = int(rng.integers(2, 5))
        stems = list(rng.permutation(_STREET_STEMS)[:k_st])
        streets = [f"{s}街道" for s in stems]
        towns: list[str] = []
        while len(towns) < 10:
            t = _PLACE_1[rng.integers(len(_PLACE_1))] + _PLACE_2[rng.integers(len(_PLACE_2))]
            if t in used:
                continue
            used.add(t)
            towns.append(t + ("镇" if rng.random() < 0.75 else "乡"))
        out[name] = (streets, towns)
    return out


def _village_names(rng: np.random.Generator, n: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        v = _PLACE_1[rng.integers(len(_PLACE_1))] + _PLACE_2[rng.integers(len(_PLACE_2))] + "村"
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _names(rng: np.random.Generator, male: np.ndarray, surnames: np.ndarray | None = None) -> list[str]:
    n = len(male)
    if surnames is None:
        surnames = rng.choice(len(_SURNAMES), n, p=_SURNAME_W / _SURNAME_W.sum())
    g1 = np.where(male, rng.integers(len(_MALE), size=n), rng.integers(len(_FEMALE), size=n))
    g2 = np.where(male, rng.integers(len(_MALE), size=n), rng.integers(len(_FEMALE), size=n))
    two = rng.random(n) < 0.82
    ml, fl, sn = _MALE, _FEMALE, _SURNAMES
    return [sn[s] + ((ml[a] + ml[b]) if t else ml[a]) if mm else sn[s] + ((fl[a] + fl[b]) if t else fl[a])
            for s, a, b, t, mm in zip(surnames.tolist(), g1.tolist(), g2.tolist(), two.tolist(), male.tolist())]


# ====================================================================== resident ID numbers

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def id_check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    s = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS.tolist()))
    return "10X98765432"[s % 11]


def valid_id(number: str) -> bool:
    """True for a syntactically valid 18-character resident ID (digits, birth date, check character)."""
    if not isinstance(number, str) or len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return id_check_digit(number[:17]) == number[17].upper()


def _make_ids(rng: np.random.Generator, area: np.ndarray, birth: np.ndarray, male: np.ndarray) -> list[str]:
    """Unique valid IDs: area codes (int), birth dates (datetime64[D]), gender (odd 17th digit = male)."""
    n = len(area)
    y = birth.astype("datetime64[Y]").astype(int) + 1970
    mo = (birth.astype("datetime64[M]").astype(int) % 12) + 1
    d = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    head = area.astype(np.int64) * 10**8 + y * 10**4 + mo * 100 + d      # first 14 digits
    seq = rng.integers(0, 50, n) * 10 + rng.integers(0, 5, n) * 2 + male.astype(int)   # 000..499, parity = gender
    seq = seq + rng.integers(0, 2, n) * 500
    for _ in range(50):  # re-draw duplicates
        key = head * 1000 + seq
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            break
        k = int(dup.sum())
        seq[dup] = rng.integers(0, 500, k) * 2 + male[dup].astype(int)
    body = head * 1000 + seq                                          # 17 digits
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
    return [f"{b:017d}{c}" for b, c in zip(body.tolist(), check.tolist())]


def _random_dates(rng, start: str, end: str, n: int) -> np.ndarray:
    a, b = np.datetime64(start, "D"), np.datetime64(end, "D")
    return a + rng.integers(0, int((b - a).astype(int)) + 1, n).astype("timedelta64[D]")


# ====================================================================== plan: counties and sites

@dataclass
class _Plan:
    city_code: str
    city_name: str
    province: str
    scale: str
    counties: list[dict]                  # code, name, city_code, sort_order, geojson
    roles: dict[str, int]                 # story role -> county index
    # sites (arrays of length S)
    site_code: list[str]
    site_name: list[str]
    site_county: np.ndarray
    site_town: list[str]
    site_type: list[str]
    lon: np.ndarray
    lat: np.ndarray
    households: np.ndarray
    population: np.ndarray
    size: np.ndarray
    batch: np.ndarray
    built: np.ndarray
    towns: dict[str, tuple[list[str], list[str]]]


def _resolve_places(scale: str, city: str) -> tuple[geo.CityInfo, list[tuple[geo.CountyInfo, str]], str, str]:
    info = geo.find_city(city)
    if scale == "city":
        return info, [(c, info.code) for c in geo.city_counties(info.code)], info.code, info.name
    if scale != "province":
        raise DemoError(f"未知的演示规模：{scale}（可选 city 或 province）")
    counties = []
    for c in geo.province_cities(info.province):
        counties += [(k, c.code) for k in geo.city_counties(c.code)]
    prov_code = info.code[:2] + "0000"
    return info, counties, prov_code, info.province


def _largest_remainder(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    n = len(weights)
    if total < n * minimum:
        minimum = 0
    base = np.full(n, minimum)
    rest = total - base.sum()
    share = weights / weights.sum() * rest
    out = base + np.floor(share).astype(int)
    left = total - out.sum()
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    out[order[:left]] += 1
    return out


def _site_populations(rng, size: np.ndarray, target: int) -> np.ndarray:
    lo = np.array([300, 850, 3200, 11000], float)
    hi = np.array([780, 2900, 9700, 26000], float)
    pop = rng.uniform(lo[size], hi[size])
    lo_b, hi_b = np.array([120, 800, 3000, 10000], float)[size], np.array([799, 2999, 9999, 40000], float)[size]
    adjustable = size >= 1
    for _ in range(60):
        diff = target - pop.sum()
        if abs(diff) < 1:
            break
        room = np.where(diff > 0, hi_b - pop, pop - lo_b) * adjustable
        if room.sum() <= 0:
            break
        pop = np.clip(pop + diff * room / room.sum(), lo_b, hi_b)
    return np.round(pop).astype(int)


def _plan(rng: np.random.Generator, city: str, scale: str) -> _Plan:
    info, county_infos, city_code, city_name = _resolve_places(scale, city)
    names = [c.name for c, _ in county_infos]
    dup = {n for n in names if names.count(n) > 1}
    counties = []
    for i, (c, parent) in enumerate(county_infos):
        name = c.name
        if name in dup:   # county names are unique in the database: qualify by city
            parent_name = next((x.name for x in geo.all_cities() if x.code == parent), "")
            name = f"{parent_name}{c.name}"
        counties.append(dict(code=c.code, name=name, city_code=parent, sort_order=i + 1, geojson=c.geojson))
    nc = len(counties)

    # sites per county
    if scale == "city":
        n_sites, size_counts, target_pop = 68, CITY_SIZE_COUNTS, CITY_POPULATION
    else:
        n_sites = PROVINCE_SITES
        size_counts = tuple(int(round(x)) for x in np.array([0.40, 0.40, 0.17, 0.03]) * n_sites)
        size_counts = (n_sites - sum(size_counts[1:]),) + size_counts[1:]
        target_pop = int(PROVINCE_HOUSEHOLDS * PEOPLE_PER_HOUSEHOLD)
    if city_code == DEFAULT_CITY and scale == "city":
        per_county = np.array([_QXN_SITES.get(c["name"], 0) for c in counties])
    else:
        area = np.array([geo.geometry(c["geojson"]).area for c in counties])
        per_county = _largest_remainder(np.sqrt(area) if scale == "city" else area ** 0.75, n_sites)
    site_county = np.repeat(np.arange(nc), per_county)
    S = len(site_county)

    # size classes: bigger sites lean to bigger counties, exact class counts
    size = np.repeat(np.arange(4), size_counts)[:S]
    w = per_county[site_county] * rng.uniform(0.3, 1.7, S)
    size_sorted = np.sort(size)
    size = np.empty(S, int)
    size[np.argsort(w, kind="stable")] = size_sorted
    population = _site_populations(rng, size, target_pop)
    households = np.maximum(1, np.round(population / rng.uniform(4.0, 4.4, S))).astype(int)

    # story roles (counties)
    roles: dict[str, int] = {}
    name_idx = {c["name"]: i for i, c in enumerate(counties)}
    if city_code == DEFAULT_CITY and scale == "city":
        roles = {k: name_idx[v] for k, v in _QXN_ROLES.items() if v in name_idx}
    if len(roles) < 5:
        eligible = [i for i in range(nc) if per_county[i] >= 3] or list(range(nc))
        pick = list(rng.permutation(eligible))
        for k in "ABCXY":
            if k not in roles:
                roles[k] = int(pick.pop(0)) if pick else int(rng.integers(nc))

    # batches: balanced per county (round robin over a shuffled order), city-wide ~ 22/23/23;
    # the lagging county A has at least three first-batch sites
    batch = np.empty(S, int)
    cycle = [0, 1, 2]
    pos = 0
    for ci in range(nc):
        idx = np.where(site_county == ci)[0]
        idx = idx[rng.permutation(len(idx))]
        for j, s in enumerate(idx):
            batch[s] = BATCH_YEARS[cycle[(pos + j) % 3]]
        pos += len(idx)
    if "A" in roles:
        idx = np.where(site_county == roles["A"])[0]
        need = min(3, len(idx)) - int((batch[idx] == BATCH_YEARS[0]).sum())
        for s in idx:
            if need <= 0:
                break
            if batch[s] != BATCH_YEARS[0]:
                other = np.where((batch == BATCH_YEARS[0]) & (site_county != roles["A"]))[0]
                if len(other):
                    batch[other[0]] = batch[s]
                batch[s] = BATCH_YEARS[0]
                need -= 1
    built = rng.choice([2016, 2017, 2018, 2019, 2020], S, p=[.1, .3, .35, .2, .05])

    # site type, town, name, location
    towns = _town_lists(rng, [c["name"] for c in counties], city_code)
    urban = np.where(size >= 2, rng.random(S) < 0.97, np.where(size == 1, rng.random(S) < 0.6, rng.random(S) < 0.2))
    site_code, site_name, site_town, site_type = [], [], [], []
    lon, lat = np.zeros(S), np.zeros(S)
    for ci, c in enumerate(counties):
        idx = np.where(site_county == ci)[0]
        streets, rural_towns = towns[c["name"]]
        used_names: set[str] = set()
        comm = list(rng.permutation(_COMMUNITY))
        # urban sites cluster around a centre (the county seat stand-in), rural ones anywhere
        centre = geo.random_points_in(c["geojson"], 1, rng, margin=0.04)[0]
        pts_all = geo.random_points_in(c["geojson"], len(idx) * 6 + 8, rng, margin=0.01)
        near = np.hypot(pts_all[:, 0] - centre[0], pts_all[:, 1] - centre[1]) < 0.12
        near_pts, far_pts = list(pts_all[near]), list(pts_all[~near])
        for j, s in enumerate(idx):
            code = f"{c['code']}{j + 1:03d}"
            if urban[s]:
                town = streets[int(rng.integers(len(streets)))]
                stem = comm.pop(0) if comm else f"新区{j + 1}"
                if rng.random() < 0.65:
                    name = f"{c['name']}{stem}社区"
                else:
                    name = f"{c['name']}{town}{stem}安置区"
                pt = near_pts.pop(0) if near_pts else far_pts.pop(0)
            else:
                town = rural_towns[int(rng.integers(len(rural_towns)))]
                vill = _PLACE_1[rng.integers(len(_PLACE_1))] + _PLACE_2[rng.integers(len(_PLACE_2))]
                name = f"{c['name']}{town}{vill}安置点"
                pt = far_pts.pop(0) if far_pts else near_pts.pop(0)
            while name in used_names:
                name = name.replace("安置", "新安置", 1)
            used_names.add(name)
            if not geo.point_in_county(pt[0], pt[1], c["geojson"]):  # pragma: no cover - sampled inside
                pt = geo.random_points_in(c["geojson"], 1, rng)[0]
            site_code.append(code)
            site_name.append(name)
            site_town.append(town)
            site_type.append(URBAN if urban[s] else RURAL)
            lon[s], lat[s] = round(float(pt[0]), 6), round(float(pt[1]), 6)
    return _Plan(city_code=city_code, city_name=city_name, province=info.province, scale=scale,
                 counties=counties, roles=roles, site_code=site_code, site_name=site_name, site_county=site_county,
                 site_town=site_town, site_type=site_type, lon=lon, lat=lat, households=households,
                 population=population, size=size, batch=batch, built=built, towns=towns)


# ====================================================================== people

@dataclass
class _People:
    # households (length H), sorted by site then household code
    hh_site: np.ndarray
    hh_code: list[str]
    head_name: list[str]
    head_id: list[str]
    family: np.ndarray
    labour: np.ndarray
    origin_county: list[str]
    origin_town: list[str]
    origin_village: list[str]
    hukou: list
    monitored: list
    applicable: np.ndarray      # (H, 15) bool
    u_rights: np.ndarray        # (H, 15) float32, fixed per household and item
    u_zero: np.ndarray          # fixed per household, orders problem cases
    zero_rank: np.ndarray       # rank within the site among households with labour (others: large)
    gap_rank: np.ndarray        # (H, 3) rank within the site among households where R10 / R14 / R15 applies
    inc_factor: np.ndarray
    inc_noise: np.ndarray       # (H, n_years)
    inc_missing_prev: np.ndarray
    inc_missing_curr: np.ndarray
    # labourers (length L), grouped by household
    lab_hh: np.ndarray
    lab_id: list[str]
    lab_name: list[str]
    lab_gender: list[str]
    u_emp: np.ndarray
    u_train: np.ndarray
    u_cert: np.ndarray
    u_form: np.ndarray
    form_other: np.ndarray      # index into FORMS[2:] for labourers not in workshop/park
    form_ws: np.ndarray         # 0 帮扶车间 / 1 园区企业 when in workshop/park
    wage_factor: np.ndarray


def _group_rank(group: np.ndarray, key: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Rank (0, 1, ...) of each element within its group by key, counting only valid elements; invalid
    elements get a rank larger than any count."""
    order = np.lexsort((key, ~valid, group))
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    pos = np.arange(len(g)) - np.repeat(start, np.diff(np.r_[start, len(g)]))
    rank = np.empty(len(g), np.int64)
    rank[order] = pos
    return np.where(valid, rank, 1 << 30)


def _people(rng: np.random.Generator, plan: _Plan, factor: float, years: list[int]) -> _People:
    S = len(plan.site_code)
    listed = np.maximum(np.minimum(plan.households, 2), np.round(plan.households * factor)).astype(int)
    H = int(listed.sum())
    hh_site = np.repeat(np.arange(S), listed)
    hh_code = [f"{plan.site_code[s]}{i + 1:05d}" for s, n in enumerate(listed.tolist()) for i in range(n)]

    mean_size = (plan.population / plan.households)[hh_site]
    family = np.clip(1 + rng.poisson(np.maximum(mean_size - 1, 0.2)), 1, 10)
    # single-person households are mostly elderly; the others carry slightly more than 0.52 per person so the
    # city-wide ratio stays ≈ LABOUR_PER_PERSON
    labour = rng.binomial(family, np.where(family == 1, 0.35, LABOUR_PER_PERSON + 0.005))

    # origin: mostly the site's own county, else another county of the same city
    nc = len(plan.counties)
    county_of = plan.site_county[hh_site]
    same = rng.random(H) < 0.72
    city_of = np.array([c["city_code"] for c in plan.counties])
    other = rng.integers(0, nc, H)
    if plan.scale == "province":   # stay within the site's city
        groups = {cc: np.where(city_of == cc)[0] for cc in set(city_of.tolist())}
        pick = rng.random(H)
        other = np.array([groups[city_of[c]][int(p * len(groups[city_of[c]]))]
                          for c, p in zip(county_of.tolist(), pick.tolist())])
    origin_ci = np.where(same, county_of, other)
    origin_county = [plan.counties[i]["name"] for i in origin_ci.tolist()]
    # origin town / village per county: a fixed pool of villages per town
    town_pool = {}
    for ci, c in enumerate(plan.counties):
        rural = plan.towns[c["name"]][1]
        town_pool[ci] = (rural, _village_names(rng, len(rural) * 8))
    t_pick = rng.random(H)
    v_pick = rng.integers(0, 8, H)
    origin_town, origin_village = [], []
    for ci, tp, vp in zip(origin_ci.tolist(), t_pick.tolist(), v_pick.tolist()):
        rural, vills = town_pool[ci]
        ti = int(tp * len(rural))
        origin_town.append(rural[ti])
        origin_village.append(vills[ti * 8 + vp])

    # heads
    end_year = years[-1]
    head_male = rng.random(H) < 0.82
    head_lab = (labour >= 1) & (rng.random(H) < 0.78)
    head_birth = np.where(head_lab, _random_dates(rng, f"{end_year - 58}-01-01", f"{end_year - 24}-12-31", H),
                          _random_dates(rng, f"{end_year - 82}-01-01", f"{end_year - 60}-12-31", H))
    head_surname = rng.choice(len(_SURNAMES), H, p=_SURNAME_W / _SURNAME_W.sum())
    head_name = _names(rng, head_male, head_surname)

    # labourers: the head first (when a labourer), then other members
    L = int(labour.sum())
    lab_hh = np.repeat(np.arange(H), labour)
    first = np.zeros(L, bool)
    starts = np.concatenate([[0], np.cumsum(labour)[:-1]])
    first[starts[labour > 0]] = True
    is_head = first & head_lab[lab_hh]
    lab_male = np.where(is_head, head_male[lab_hh], rng.random(L) < 0.5)
    lab_birth = np.where(is_head, head_birth[lab_hh], _random_dates(rng, f"{end_year - 59}-01-01",
                                                                    f"{end_year - 16}-12-31", L))
    same_surname = rng.random(L) < np.where(lab_male, 0.85, 0.35)
    lab_surname = np.where(same_surname, head_surname[lab_hh], rng.choice(len(_SURNAMES), L, p=_SURNAME_W / _SURNAME_W.sum()))
    others = ~is_head
    other_names = _names(rng, lab_male[others], lab_surname[others])

    # ID numbers: heads + non-head labourers, area code = origin county
    area_codes = np.array([int(c["code"]) for c in plan.counties])
    n_other = int(others.sum())
    ids = _make_ids(rng, np.concatenate([area_codes[origin_ci], area_codes[origin_ci[lab_hh[others]]]]),
                    np.concatenate([head_birth, lab_birth[others]]), np.concatenate([head_male, lab_male[others]]))
    head_id = ids[:H]
    lab_id = np.empty(L, object)
    lab_name = np.empty(L, object)
    lab_id[is_head] = np.array(head_id, object)[lab_hh[is_head]]
    lab_name[is_head] = np.array(head_name, object)[lab_hh[is_head]]
    lab_id[others] = np.array(ids[H:H + n_other], object)
    lab_name[others] = np.array(other_names, object)
    lab_gender = np.where(lab_male, "男", "女").tolist()

    hk = rng.random(H)
    hukou = np.where(hk < 0.88, True, np.where(hk < 0.985, False, None)).tolist()
    monitored = (rng.random(H) < 0.06).tolist()

    applicable = rng.random((H, 15)) < _APPLICABLE
    applicable[:, 9] &= family >= 2                                   # school-age child needs a family
    applicable[:, 14] &= family <= 2                                  # 特困 mostly single / couple
    applicable[:, 13] |= np.array(monitored) & (rng.random(H) < 0.4)  # monitored households often 低保
    u_rights = rng.random((H, 15)).astype(np.float32)

    n_years = len(years) + 1
    inc_factor = np.exp(rng.normal(0, 0.22, H))
    inc_factor /= inc_factor.mean()
    inc_noise = rng.normal(0, 0.025, (H, n_years))

    p_ws = rng.random(L)
    u_zero = rng.random(H)
    # sites without any household where R10 (school-age child) applies get one, so a planted gap has a target
    for s in range(S):
        idx = np.where(hh_site == s)[0]
        if not applicable[idx, 9].any():
            applicable[idx[np.argmax(family[idx])], 9] = True
    return _People(
        hh_site=hh_site, hh_code=hh_code, head_name=head_name, head_id=head_id, family=family, labour=labour,
        origin_county=origin_county, origin_town=origin_town, origin_village=origin_village, hukou=hukou,
        monitored=monitored, applicable=applicable, u_rights=u_rights, u_zero=u_zero,
        zero_rank=_group_rank(hh_site, u_zero, labour > 0),
        gap_rank=np.column_stack([_group_rank(hh_site, u_zero, applicable[:, j]) for j in (9, 13, 14)]),
        inc_factor=inc_factor, inc_noise=inc_noise, inc_missing_prev=rng.random(H) < 0.012,
        inc_missing_curr=rng.random(H) < 0.015,
        lab_hh=lab_hh, lab_id=lab_id.tolist(), lab_name=lab_name.tolist(), lab_gender=lab_gender,
        u_emp=rng.random(L), u_train=rng.random(L), u_cert=rng.random(L), u_form=rng.random(L),
        form_other=rng.choice(6, L, p=np.array([8, 22, 15, 33, 5, 7]) / 90.0) + 2,
        form_ws=(p_ws >= 0.55).astype(int),
        wage_factor=np.exp(rng.normal(0, 0.15, L)))


# ====================================================================== trajectories and planted trouble

@dataclass
class _Story:
    m: np.ndarray                 # (S, T, 5) maturity per dimension, T in month order
    zero_count: np.ndarray        # (S, T) generic zero-employment households per site
    gap_count: np.ndarray         # (S, T, 3) generic 未落实 households per site for R10 / R14 / R15
    county_dest: np.ndarray       # (C,) coverage offset destination side
    county_orig: np.ndarray       # (C,) coverage offset origin side
    ws_share: np.ndarray          # (S,) workshop/park share of labourers at maturity 1
    e_off: np.ndarray             # (S, 3) employment / training / certificate offsets
    growth: np.ndarray            # (S,) yearly per-capita income growth
    income_end: np.ndarray        # (S,) per-capita income of the end year
    platform_thr: np.ndarray      # (S, 3) maturity at which each platform runs
    rep_fixed: np.ndarray         # (S, 9) persistent deviations of the reported indicators
    zero_plant: dict[int, list[int]] = field(default_factory=dict)     # t -> sites with zero-emp households
    p2_plant: dict[int, list[int]] = field(default_factory=dict)       # t -> sites with an unenrolled child
    p5_plant: dict[int, list[int]] = field(default_factory=dict)       # t -> sites with 应保未保
    platform_off: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    missing_rows: dict[int, list[int]] = field(default_factory=dict)
    missing_cells: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    mass_incident: tuple[int, int] | None = None
    named: dict[str, object] = field(default_factory=dict)


def _story(rng: np.random.Generator, plan: _Plan, months: list[str]) -> _Story:
    S, T, C = len(plan.site_code), len(months), len(plan.counties)
    batch = plan.batch
    end_mean = np.select([batch == 2026, batch == 2027], [0.775, 0.65], 0.57)
    county_eff = rng.normal(0, 0.025, C)
    a = plan.roles.get("A")
    if "A" in plan.roles:
        county_eff[plan.roles["A"]] = -0.11
    if "B" in plan.roles:   # county B is flagged only for its planted trouble: keep it off the bottom two
        county_eff[plan.roles["B"]] = max(county_eff[plan.roles["B"]], 0.05)
    m_end = end_mean + county_eff[plan.site_county] + rng.normal(0, 0.06, S)
    m_start = m_end - rng.uniform(0.30, 0.45, S)
    k = np.arange(T)[None, :]
    frac = (k / max(T - 1, 1)) ** rng.uniform(0.7, 1.1, S)[:, None]
    m = m_start[:, None] + (m_end - m_start)[:, None] * frac + rng.normal(0, 0.012, (S, T))
    dim_off = rng.normal(0, 0.06, (S, 5))
    mm = np.clip(m[:, :, None] + dim_off[:, None, :] + rng.normal(0, 0.012, (S, T, 5)), 0, 1.15)

    from_end = (T - 1) - np.arange(T)          # 0 = latest month
    # generic trouble (counts per site, independent of how many households are listed): zero-employment
    # households until the clearing campaign ~8 months before the end; R10/R14/R15 gaps until ~4 months before
    early = (from_end >= 8)[None, :]
    zero_count = np.where(early, rng.poisson(0.45 * np.clip(1 - mm[:, :, 1], 0, 1) ** 1.5), 0)
    serv = np.clip(1 - mm[:, :, 2], 0, 1)
    gap_on = (from_end >= 4)[None, :]
    gap_count = np.stack([np.where(gap_on, rng.poisson(0.25 * serv ** 2), 0),        # R10
                          np.where(gap_on, rng.poisson(1.6 * serv ** 1.5), 0),       # R14
                          np.where(gap_on, rng.poisson(0.3 * serv ** 1.5), 0)], -1)  # R15

    county_dest = rng.normal(0, 0.008, C)
    county_orig = rng.normal(0, 0.008, C)
    if a is not None:
        county_orig[a] = -0.065

    ws_share = np.where(plan.size >= 2, rng.uniform(0.09, 0.20, S), rng.uniform(0.04, 0.16, S))
    e_off = rng.normal(0, [0.010, 0.02, 0.03], (S, 3))
    growth = rng.uniform(0.08, 0.14, S)
    low = rng.permutation(S)[: max(1, S // 9)]
    growth[low] = rng.uniform(0.025, 0.075, len(low))
    income_end = rng.uniform(15000, 17000, S)
    platform_thr = np.column_stack([rng.uniform(0.05, 0.40, S), rng.uniform(0.10, 0.50, S), rng.uniform(0.20, 0.60, S)])
    st = _Story(m=mm, zero_count=zero_count, gap_count=gap_count, county_dest=county_dest, county_orig=county_orig,
                ws_share=ws_share, e_off=e_off, growth=growth, income_end=income_end, platform_thr=platform_thr,
                rep_fixed=rng.normal(0, 1, (S, 9)))

    # ---- planted trouble in the latest months
    L = T - 1
    level = m[:, L]
    taken: set[int] = set()

    def best_in(ci, n, exclude=(), min_size=0):
        idx = [s for s in np.argsort(-level).tolist() if plan.site_county[s] == ci and s not in taken
               and s not in exclude and plan.size[s] >= min_size]
        return idx[:n]

    def pick(n, pool):
        pool = [s for s in pool if s not in taken]
        return [pool[i] for i in rng.permutation(len(pool))[:n].tolist()]

    roles = plan.roles
    # zero-employment: two sites of county B for the last two months, one site of county A in the latest
    zb = best_in(roles["B"], 2)
    za = best_in(roles["A"], 1)
    taken.update(zb + za)
    if T >= 2:
        st.zero_plant[L - 1] = list(zb)
    st.zero_plant[L] = list(zb) + list(za)
    # a named (达标) site of county X loses it: unenrolled school-age child for two months -> 摘牌预警
    x = best_in(roles["X"], 1, min_size=1)
    taken.update(x)
    st.p2_plant[L] = list(x)
    if T >= 2:
        st.p2_plant[L - 1] = list(x)
    # 重大群体性事件 once, latest month, at a good site of county Y
    y = best_in(roles["Y"], 1)
    taken.update(y)
    if y:
        st.mass_incident = (y[0], L)
    # missing platforms (small rural sites), 应保未保, 缺报
    small = [s for s in range(S) if plan.size[s] == 0 and plan.site_county[s] not in (roles["B"],)]
    for s in pick(4, small):
        p = int(rng.integers(0, 3))
        st.platform_thr[s, p] = 9.0          # never built
        taken.add(s)
    # trouble that costs points goes mostly to sites already below the standard (no dramatic last-month drop)
    mid_level = [s for s in np.argsort(level).tolist()[S // 10: S // 2]]
    p5 = pick(3, [s for s in mid_level if plan.site_county[s] not in (roles["B"],)])
    taken.update(p5)
    st.p5_plant[L] = p5
    if T >= 2:
        st.p5_plant[L - 1] = p5[:1]
    miss = pick(4, [s for s in mid_level if plan.site_county[s] not in (roles["B"],)])
    taken.update(miss)
    st.missing_rows[L] = miss[:2]
    st.missing_cells[L] = [(miss[2], "linkage_pct"), (miss[3], "night_school"), (miss[3], "civic_pct")]
    # earlier months: sporadic missing rows and cells
    for t in range(T):
        if t >= L:
            continue
        n_rows = rng.poisson(1.2 if from_end[t] > 6 else 0.5)
        st.missing_rows[t] = rng.permutation(S)[:n_rows].tolist()
        n_cells = rng.poisson(2.0 if from_end[t] > 6 else 0.8)
        cols = ["carriers", "collective_income", "linkage_pct", "satisfaction_pct", "civic_pct", "night_school",
                "dispute_pct", "inspection_problems"]
        st.missing_cells[t] = [(int(rng.integers(S)), cols[int(rng.integers(len(cols)))]) for _ in range(n_cells)]
    st.named = dict(zero_employment=[plan.site_code[s] for s in zb + za],
                    unenrolled_child=[plan.site_code[s] for s in x],
                    mass_incident=[plan.site_code[s] for s in y],
                    missing_platform=[plan.site_code[s] for s in range(S) if st.platform_thr[s].max() > 5],
                    under_protected=[plan.site_code[s] for s in p5],
                    missing_report=[plan.site_code[s] for s in miss[:2]],
                    lagging_county=plan.counties[roles["A"]]["name"],
                    flagged_two_months=plan.counties[roles["B"]]["name"],
                    overdue_county=plan.counties[roles["C"]]["name"])
    return st


# ====================================================================== monthly rows

_HH_COLS = ["month", "household_code", "site_code", "head_name", "head_id", "family_size", "labour_count",
            "origin_county", "origin_town", "origin_village", "hukou_moved", "monitored", "income_prev",
            "income_curr", *[c.lower() for c in RIGHTS_CODES]]
_LAB_COLS = ["month", "person_id", "name", "household_code", "site_code", "gender", "trained", "certified",
             "employed", "employment_form", "monthly_income"]
_ORG_COLS = ["month", "site_code", "platform_party", "platform_resident", "platform_convenience",
             *[f"{p}_{k}" for p, _ in POSTS for k in ("required", "actual")]]
_REP_COLS = ["month", "site_code", "carriers", "collective_income", "linkage_pct", "satisfaction_pct", "civic_pct",
             "night_school", "dispute_pct", "mass_incidents", "inspection_problems"]


def _household_rows(t: int, month: str, plan: _Plan, pp: _People, st: _Story, years: list[int], static: dict):
    """Household status arrays for month index t; returns (column lists, employed mask for labourers)."""
    hs = pp.hh_site
    mm = st.m[:, t, :]
    H = len(hs)
    ci = plan.site_county[hs]
    # ---- rights
    m_int, m_serv = mm[hs, 4], mm[hs, 2]
    hukou_moved = np.array([h is True for h in pp.hukou])
    p = np.empty((H, 15), np.float32)
    dest = 0.895 + 0.10 * m_int + st.county_dest[ci]
    orig = 0.875 + 0.125 * m_int + st.county_orig[ci]
    p[:, 0] = np.where(hukou_moved, dest, orig)
    p[:, 1] = dest + 0.01
    p[:, 2:8] = orig[:, None]
    p[:, 8] = 0.60 + 0.38 * m_int + st.county_dest[ci]          # 不动产登记 lags
    p[:, 9] = 1.0
    p[:, 10] = 0.958 + 0.045 * m_serv
    p[:, 11] = 0.95 + 0.05 * m_serv
    p[:, 12] = 0.845 + 0.135 * m_serv
    p[:, 13] = 1.0
    p[:, 14] = 1.0
    blank = (0.018 * np.clip(1 - m_int, 0, 1) + 0.003)[:, None] * np.ones((1, 15), np.float32)
    blank[:, [9]] = 0.0
    blank[:, [13, 14]] *= 0.3
    p = np.minimum(p, 1 - blank)
    u = pp.u_rights
    status = np.where(u < p, 1, np.where(u >= 1 - blank, -1, 0)).astype(np.int8)
    # R10 / R14 / R15 gaps: generic counts per site (earlier months), then planted ones (recent months);
    # the same households (lowest per-site rank) stay the problem cases from month to month
    for g, j in enumerate((9, 13, 14)):
        count = st.gap_count[:, t, g].copy()
        plant = st.p2_plant.get(t, []) if j == 9 else st.p5_plant.get(t, []) if j == 13 else []
        for s in plant:
            count[s] = max(count[s], 1 if j == 9 else 1 + int(s % 2))
        status[:, j] = np.where(pp.gap_rank[:, g] < count[hs], 0, status[:, j])
    status = np.where(pp.applicable, status, 9)
    rights = []
    for j in range(15):
        col = status[:, j]
        rights.append(np.where(col < 0, None, col.astype(object)).tolist())
    # ---- income
    y = int(month[:4])
    yi = years.index(y) + 1
    g = st.growth[hs]
    level_curr = st.income_end[hs] * (1 + g) ** (y - years[-1]) * pp.inc_factor
    level_prev = level_curr / (1 + g)
    curr = np.round(level_curr * (1 + pp.inc_noise[:, yi]), -1)
    prev = np.round(level_prev * (1 + pp.inc_noise[:, yi - 1]), -1)
    curr = np.where(pp.inc_missing_curr, np.nan, curr)
    prev = np.where(pp.inc_missing_prev, np.nan, prev)
    cols = [[month] * H, static["hh_code"], static["hh_site_code"], pp.head_name, pp.head_id,
            static["family"], static["labour"], pp.origin_county, pp.origin_town, pp.origin_village,
            pp.hukou, pp.monitored, _nan_none(prev), _nan_none(curr), *rights]
    return cols


def _nan_none(a: np.ndarray) -> list:
    out = a.astype(object)
    out[np.isnan(a)] = None
    return out.tolist()


def _labour_rows(t: int, month: str, plan: _Plan, pp: _People, st: _Story, static: dict):
    ls = pp.hh_site[pp.lab_hh]
    me = st.m[ls, t, 1]
    mi = st.m[ls, t, 0]
    p_emp = 0.856 + 0.085 * me + st.e_off[ls, 0]
    p_train = 0.63 + 0.31 * me + st.e_off[ls, 1]
    p_cert = 0.21 + 0.43 * me + st.e_off[ls, 2]
    employed = pp.u_emp < p_emp
    certified = pp.u_cert < p_cert
    trained = (pp.u_train < p_train) | certified
    # zero-employment households: generic (early months) and planted; all others get one employed member
    H = len(pp.hh_site)
    any_emp = np.bincount(pp.lab_hh, weights=employed, minlength=H) > 0
    count = st.zero_count[:, t].copy()
    for s in st.zero_plant.get(t, []):
        count[s] = max(count[s], 1 + int((pp.hh_site == s).sum()) // 400)
    zero = pp.zero_rank < count[pp.hh_site]
    fix = (~any_emp) & (pp.labour > 0) & ~zero
    if fix.any():
        # employ the member with the smallest u_emp of each such household
        order = np.lexsort((pp.u_emp, pp.lab_hh))
        first_of = np.full(H, -1)
        hh_sorted = pp.lab_hh[order]
        starts = np.r_[True, hh_sorted[1:] != hh_sorted[:-1]]
        first_of[hh_sorted[starts]] = order[starts]
        employed[first_of[fix]] = True
    employed &= ~zero[pp.lab_hh]
    ws = pp.u_form < st.ws_share[ls] * (0.55 + 0.45 * np.clip(mi, 0, 1.1))
    form_idx = np.where(ws, pp.form_ws, pp.form_other)
    form = np.array(FORMS, object)[form_idx]
    form[~employed] = None
    months_in = static["month_index"][month]
    wage = np.round(FORM_WAGE[form_idx] * pp.wage_factor * (1 + 0.004 * months_in), -1)
    wage_l = wage.astype(object)
    wage_l[~employed] = None
    L = len(pp.lab_hh)
    cols = [[month] * L, pp.lab_id, pp.lab_name, static["lab_hh_code"], static["lab_site_code"], pp.lab_gender,
            trained.tolist(), certified.tolist(), employed.tolist(), form.tolist(), wage_l.tolist()]
    return cols


def _org_rows(t: int, month: str, plan: _Plan, st: _Story, rng_org: np.random.Generator, required: np.ndarray):
    S = len(plan.site_code)
    mm = st.m[:, t, 4]
    platforms = mm[:, None] >= st.platform_thr
    fill = np.clip(0.80 + 0.22 * mm + rng_org.normal(0, 0.015, S), 0, 1)
    actual = np.round(required * fill[:, None]).astype(int)
    single = required == 1
    actual = np.where(single, (fill[:, None] > 0.86) | (np.arange(10)[None, :] % 3 != 1), actual).astype(int)
    actual = np.where(required == 0, 0, actual)
    over = rng_org.random(S) < 0.05
    actual[over, 9] += 2        # a few sites list more 分楼长 than required (capped by N1)
    rows = []
    for s in range(S):
        r = [month, plan.site_code[s], bool(platforms[s, 0]), bool(platforms[s, 1]), bool(platforms[s, 2])]
        for k in range(10):
            r += [int(required[s, k]), int(actual[s, k])]
        rows.append(tuple(r))
    return rows


def _reported_rows(t: int, month: str, plan: _Plan, st: _Story, rng_rep: np.random.Generator):
    S = len(plan.site_code)
    mi, ms, mn = st.m[:, t, 0], st.m[:, t, 3], st.m[:, t, 4]
    size = plan.size
    t_car = np.array([1, 1, 2, 3])[size]
    t_ci = np.array([5, 10, 30, 50])[size]
    t_ns = np.array([3, 3, 6, 6])[size]
    fx = st.rep_fixed                      # persistent per-site deviations (standard normal)

    def noise(j, fixed_sd, month_sd):
        return fx[:, j] * fixed_sd + rng_rep.normal(0, month_sd, S)

    vals = {
        "carriers": np.maximum(0, np.round(t_car * (0.3 + 0.9 * mi) + noise(0, 0.3, 0.05))),
        "collective_income": np.round(np.maximum(0, t_ci * (0.2 + 0.95 * mi) * np.exp(noise(1, 0.12, 0.02))), 1),
        "linkage_pct": np.round(np.clip(28 + 40 * mi + noise(2, 4, 0.8), 0, 100), 1),
        "satisfaction_pct": np.round(np.clip(71 + 21 * ms + noise(3, 1.6, 0.6), 0, 99.5), 1),
        "civic_pct": np.round(np.clip(36 + 48 * ms + noise(4, 3.5, 1.2), 0, 100), 1),
        "night_school": np.maximum(0, np.round(t_ns * (0.3 + 0.85 * ms) + noise(5, 0.4, 0.25))),
        "dispute_pct": np.round(np.clip(82.5 + 15 * ms + noise(6, 1.2, 0.6), 0, 100), 1),
        "mass_incidents": np.zeros(S),
        "inspection_problems": rng_rep.poisson(np.maximum(0.08, 2.4 * np.clip(1 - mn, 0, 1) ** 1.3)).astype(float),
    }
    if st.mass_incident and st.mass_incident[1] == t:
        vals["mass_incidents"][st.mass_incident[0]] = 1
    missing_rows = set(st.missing_rows.get(t, []))
    blank = {}
    for s, col in st.missing_cells.get(t, []):
        blank.setdefault(s, set()).add(col)
    cols = _REP_COLS[2:]
    table = np.column_stack([vals[c] for c in cols]).tolist()
    rows = []
    for s in range(S):
        if s in missing_rows:
            continue
        r = table[s]
        if s in blank:
            r = [None if cols[j] in blank[s] else v for j, v in enumerate(r)]
        rows.append((month, plan.site_code[s], *r))
    return rows


def _required_posts(plan: _Plan) -> np.ndarray:
    """应设 posts per site (the ten 双五级 posts) from its size."""
    hh, pop, size = plan.households.astype(float), plan.population.astype(float), plan.size
    S = len(hh)
    req = np.zeros((S, 10), int)
    req[:, 0] = 1
    req[:, 1] = 1
    req[:, 2] = np.array([0, 1, 2, 3])[size]
    req[:, 3] = np.ceil(pop / 1500).astype(int) + 1
    req[:, 4] = np.ceil(hh / 60).astype(int)
    req[:, 5] = 1
    req[:, 6] = 1
    req[:, 7] = np.ceil(hh / 90).astype(int)
    req[:, 8] = np.maximum(1, np.ceil(hh / 240)).astype(int)
    req[:, 9] = np.ceil(hh / 45).astype(int)
    return req


# ====================================================================== rectifications, follow-ups, users

def _rectifications(rng, plan: _Plan, months: list[str]) -> list[dict]:
    T = len(months)
    L = T - 1
    pe = [period_end(x) for x in months]
    roles = plan.roles
    rows = []
    for ci, c in enumerate(plan.counties):
        sites = np.where(plan.site_county == ci)[0]
        seq = 0
        for t in range(T):
            n = rng.poisson(0.45 if ci not in (roles["A"],) else 0.7)
            if plan.scale == "province":
                n = rng.poisson(0.15)
            for _ in range(n):
                seq += 1
                month_start = pe[t].replace(day=1)
                found = month_start + dt.timedelta(days=int(rng.integers(0, pe[t].day)))
                deadline = found + dt.timedelta(days=int(rng.choice([30, 45, 60, 90])))
                src, desc, unit = _RECT_PROBLEMS[int(rng.integers(len(_RECT_PROBLEMS)))]
                site = sites[int(rng.integers(len(sites)))] if len(sites) and rng.random() < 0.8 else None
                # closure: most on time, some late; never after the end of the data
                late = rng.random() < 0.18
                closed = deadline + dt.timedelta(days=int(rng.integers(5, 75))) if late else \
                    deadline - dt.timedelta(days=int(rng.integers(1, max(2, (deadline - found).days - 3))))
                if closed > pe[L]:
                    closed = None
                rows.append(dict(code=f"ZG{c['code']}-{found:%Y%m}-{seq:03d}", county_code=c["code"],
                                 site_code=plan.site_code[site] if site is not None else None, source=src,
                                 description=desc if site is None else f"{plan.site_name[site]}{desc}",
                                 unit=f"{c['name']}{unit}" if unit != "社区党委" else f"{plan.site_name[site] if site is not None else c['name']}社区党委",
                                 found_date=found, deadline=deadline, status="已销号" if closed else "整改中",
                                 closed_date=closed))
    # recent months: only counties A (long overdue) and C (overdue this month) have overdue items
    recent = [pe[t] for t in range(max(0, L - 2), L + 1)]
    a_code, c_code = plan.counties[roles["A"]]["code"], plan.counties[roles["C"]]["code"]
    for r in rows:
        for p_end in recent:
            open_then = r["closed_date"] is None or r["closed_date"] > p_end
            if r["found_date"] <= p_end and open_then and r["deadline"] < p_end and r["county_code"] != a_code:
                r["closed_date"] = max(r["found_date"] + dt.timedelta(days=3), r["deadline"] - dt.timedelta(days=2))
                r["status"] = "已销号"
    # county A: items found about half a year ago, still open and overdue for months
    for j in range(3 if T >= 6 else 1):
        t = max(0, L - 6 + j)
        found = pe[t].replace(day=1) + dt.timedelta(days=10 + 3 * j)
        src, desc, unit = _RECT_PROBLEMS[(j * 5) % len(_RECT_PROBLEMS)]
        rows.append(dict(code=f"ZG{a_code}-{found:%Y%m}-{90 + j:03d}", county_code=a_code, site_code=None,
                         source=src, description=desc, unit=f"{plan.counties[roles['A']]['name']}{unit}",
                         found_date=found, deadline=found + dt.timedelta(days=45),
                         status="未整改" if j == 0 else "整改中", closed_date=None))
    # county C: one item whose deadline passed in the latest month
    if roles["C"] != roles["A"]:
        dl = pe[L] - dt.timedelta(days=12)
        found = dl - dt.timedelta(days=45)
        rows.append(dict(code=f"ZG{c_code}-{found:%Y%m}-099", county_code=c_code, site_code=None, source="明察暗访",
                         description="安置点消防通道堵塞，部分楼栋灭火器过期",
                         unit=f"{plan.counties[roles['C']]['name']}应急管理局", found_date=found, deadline=dl,
                         status="整改中", closed_date=None))
    for r in rows:
        if r["closed_date"] is None and r["status"] == "已销号":
            r["status"] = "整改中"
        if r["closed_date"] is None and r["status"] == "整改中" and rng.random() < 0.25:
            r["status"] = "未整改"
    rows.sort(key=lambda r: r["code"])
    return rows


def _followups(rng, plan: _Plan, months: list[str]) -> list[dict]:
    rows = []
    roles = plan.roles
    T = len(months)
    for t, month in enumerate(months):
        y, mo = int(month[:4]), int(month[5:7])
        for ci, c in enumerate(plan.counties):
            if plan.scale == "province" and t < T - 3:
                continue
            day = dt.date(y, mo, int(rng.integers(3, 11)))
            rows.append(dict(kind="定期调度", date=day, county_code=c["code"], site_code=None,
                             title=f"{c['name']}易地搬迁后续扶持工作领导小组{mo}月调度会",
                             content="听取各安置点就业帮扶、权益保障、问题整改进展，研究部署下阶段重点工作。"))
            if mo % 3 == 0 or (ci == roles["A"] and t >= T - 4):
                sites = np.where(plan.site_county == ci)[0]
                s = sites[int(rng.integers(len(sites)))] if len(sites) else None
                rows.append(dict(kind="督导督查", date=dt.date(y, mo, int(rng.integers(12, 25))), county_code=c["code"],
                                 site_code=plan.site_code[s] if s is not None else None,
                                 title=f"市级督导组赴{c['name']}开展{mo}月督导",
                                 content="实地查看安置点，入户走访搬迁群众，查阅就业和权益台账，发现问题已纳入整改台账。"))
        # interviews of county A in the latest months, praise cases
        if t >= T - 2 and "A" in roles:
            c = plan.counties[roles["A"]]
            rows.append(dict(kind="通报约谈", date=dt.date(y, mo, 26), county_code=c["code"], site_code=None,
                             title=f"约谈{c['name']}生态移民局主要负责人（{mo}月）",
                             content="创建进度滞后于序时进度、迁出地权益落实率偏低、整改逾期未销号。"))
        if t % 4 == 1:
            ci = int(rng.integers(len(plan.counties)))
            c = plan.counties[ci]
            sites = np.where(plan.site_county == ci)[0]
            s = sites[int(rng.integers(len(sites)))] if len(sites) else None
            case = _CASES[int(rng.integers(len(_CASES)))]
            rows.append(dict(kind="舆论宣传", date=dt.date(y, mo, 20), county_code=c["code"],
                             site_code=plan.site_code[s] if s is not None else None,
                             title=f"{plan.site_name[s] if s is not None else c['name']}：{case}",
                             content="典型案例，经市级媒体刊发。"))
    seen, out = set(), []
    for r in rows:
        key = (r["kind"], r["date"], r["county_code"], r["title"])
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _users(plan: _Plan) -> list[dict]:
    rows = [dict(username="leader", display_name="演示市领导", role=ROLES["leader"], county_code=None),
            dict(username="supervisor", display_name="演示市级督导", role=ROLES["supervisor"], county_code=None),
            dict(username="admin", display_name="演示管理员", role=ROLES["admin"], county_code=None)]
    for c in plan.counties:
        rows.append(dict(username=f"operator_{c['name']}", display_name=f"{c['name']}填报员",
                         role=ROLES["operator"], county_code=c["code"]))
    for r in rows:
        r.update(password_hash=None, active=True)
    return rows


# ====================================================================== bulk writing

class _Writer:
    """Bulk inserts on the connection's driver: sqlite3 executemany, psycopg COPY."""

    def __init__(self, conn):
        self.conn = conn
        self.dialect = conn.dialect.name
        self.raw = conn.connection.driver_connection
        self.rows: dict[str, int] = {}

    def begin_bulk(self) -> None:
        """SQLite: a large page cache while the big indexes grow (restored by end_bulk)."""
        if self.dialect == "sqlite":
            cur = self.raw.cursor()
            self._cache = cur.execute("PRAGMA cache_size").fetchone()[0]
            cur.execute("PRAGMA cache_size=-262144")
            cur.close()

    def end_bulk(self) -> None:
        if self.dialect == "sqlite" and getattr(self, "_cache", None) is not None:
            cur = self.raw.cursor()
            cur.execute(f"PRAGMA cache_size={int(self._cache)}")
            cur.close()

    def insert(self, table: str, columns: list[str], rows) -> None:
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return
        self.rows[table] = self.rows.get(table, 0) + len(rows)
        if self.dialect == "postgresql":
            with self.raw.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            cur = self.raw.cursor()
            try:
                cur.executemany(sql, rows)
            finally:
                cur.close()

    def insert_dicts(self, table: str, dicts: list[dict]) -> None:
        if dicts:
            cols = list(dicts[0])
            self.insert(table, cols, [tuple(d[c] for c in cols) for d in dicts])


# ====================================================================== entry point

def _has_data(conn) -> bool:
    for model in (m.Site, m.Household, m.ReportedIndicator, m.SiteOrganisation, m.Rectification):
        if conn.execute(select(func.count()).select_from(model)).scalar_one():
            return True
    return False


def build_demo(engine: Engine, city: str = DEFAULT_CITY, scale: str = "city", months: int = 24,
               end_month: str | None = None, seed: int = DEFAULT_SEED, household_factor: float = 1.0,
               progress=None, on_month=None) -> DemoResult:
    """Write the deterministic demo into an empty database (one transaction) and return a summary.

    city: code or name (see data.geo.find_city); scale "city" (68 sites) or "province" (about 1,000 sites over
    every county of the city's province; household/labour snapshots only for the latest two months);
    household_factor < 1 lists fewer households per site (the site sheet keeps full populations) for fast tests.
    `progress(message)` is called with short Chinese progress notes, `on_month(done, total)` after each month
    is written (for a progress bar)."""
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    if months < 1:
        raise DemoError("演示月份数至少为1")
    if not 0 < household_factor <= 1:
        raise DemoError("household_factor 应在 (0, 1] 之间")
    end_month = end_month or default_end_month()
    month_names = month_list(end_month, months)
    years = sorted({int(x[:4]) for x in month_names})
    years = list(range(years[0] - 1, years[-1] + 1))
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31 - 1, 8)
    plan = _plan(np.random.default_rng(seeds[0]), city, scale)
    say(f"规划完成：{len(plan.counties)}个县（市、区），{len(plan.site_code)}个安置点")
    pp = _people(np.random.default_rng(seeds[1]), plan, household_factor, years)
    st = _story(np.random.default_rng(seeds[2]), plan, month_names)
    required = _required_posts(plan)
    rng_org, rng_rep = np.random.default_rng(seeds[4]), np.random.default_rng(seeds[5])
    rect = _rectifications(np.random.default_rng(seeds[6]), plan, month_names)
    fups = _followups(np.random.default_rng(seeds[7]), plan, month_names)
    say(f"人口生成完成：每月{len(pp.hh_site):,}户、劳动力{len(pp.lab_hh):,}人")

    static = dict(hh_code=pp.hh_code, hh_site_code=[plan.site_code[s] for s in pp.hh_site.tolist()],
                  family=pp.family.tolist(), labour=pp.labour.tolist(),
                  lab_hh_code=[pp.hh_code[h] for h in pp.lab_hh.tolist()],
                  month_index={x: i for i, x in enumerate(month_names)})
    static["lab_site_code"] = [static["hh_site_code"][h] for h in pp.lab_hh.tolist()]
    # labour rows go in person_id order: the (month, person_id) unique index then grows by appending
    lab_order = sorted(range(len(pp.lab_id)), key=pp.lab_id.__getitem__)
    ledger_months = set(month_names if scale == "city" else month_names[-2:])

    with engine.begin() as conn:
        if _has_data(conn):
            raise DemoError("数据库中已有安置点或台账数据，不能生成演示数据（请使用空数据库）")
        existing_city = conn.execute(select(m.Setting.value).where(m.Setting.key == "city_code")).scalar()
        if existing_city and existing_city != plan.city_code:
            raise DemoError(f"数据库已初始化为其他城市（{existing_city}），不能生成{plan.city_name}的演示数据")
        conn.execute(delete(m.County))
        w = _Writer(conn)
        w.begin_bulk()
        w.insert_dicts("counties", [dict(code=c["code"], name=c["name"], city_code=c["city_code"],
                                         sort_order=c["sort_order"], boundary_geojson=c["geojson"])
                                    for c in plan.counties])
        S = len(plan.site_code)
        w.insert("sites", ["code", "name", "county_code", "town", "site_type", "lon", "lat", "households",
                           "population", "batch_year", "built_year"],
                 [(plan.site_code[s], plan.site_name[s], plan.counties[plan.site_county[s]]["code"], plan.site_town[s],
                   plan.site_type[s], float(plan.lon[s]), float(plan.lat[s]), int(plan.households[s]),
                   int(plan.population[s]), int(plan.batch[s]), int(plan.built[s])) for s in range(S)])
        for t, month in enumerate(month_names):
            if month in ledger_months:
                w.insert("households", _HH_COLS, list(zip(*_household_rows(t, month, plan, pp, st, years, static))))
                lab_rows = list(zip(*_labour_rows(t, month, plan, pp, st, static)))
                w.insert("labourers", _LAB_COLS, [lab_rows[i] for i in lab_order])
            w.insert("site_organisation", _ORG_COLS, _org_rows(t, month, plan, st, rng_org, required))
            w.insert("reported_indicators", _REP_COLS, _reported_rows(t, month, plan, st, rng_rep))
            say(f"{month} 已写入")
            if on_month is not None:
                on_month(t + 1, len(month_names))
        w.insert_dicts("rectifications", rect)
        w.insert_dicts("followups", fups)
        existing_users = set(conn.execute(select(m.User.username)).scalars())
        w.insert_dicts("users", [u for u in _users(plan) if u["username"] not in existing_users])
        settings = {"city_code": plan.city_code, "city_name": plan.city_name, "province": plan.province,
                    "demo": "1", "demo_scale": scale, "demo_seed": str(seed), "demo_end_month": end_month,
                    "demo_household_factor": repr(household_factor),
                    "demo_story": json.dumps(st.named, ensure_ascii=False)}
        conn.execute(delete(m.Setting).where(m.Setting.key.in_(list(settings))))
        w.insert_dicts("settings", [dict(key=k, value=v) for k, v in settings.items()])
        with Session(bind=conn) as session:
            bump_data_version(session, [*month_names, STATIC])
            session.flush()
        w.end_bulk()
    result = DemoResult(city_code=plan.city_code, city_name=plan.city_name, scale=scale, counties=len(plan.counties),
                        sites=len(plan.site_code), months=month_names, households=len(pp.hh_site),
                        labourers=len(pp.lab_hh), population=int(plan.population.sum()), rows=dict(w.rows),
                        seconds=time.perf_counter() - t0)
    say(result.summary())
    return result
