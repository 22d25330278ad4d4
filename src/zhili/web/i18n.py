"""The interface in Chinese (default) and English: one catalog of messages, chosen per request."""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "zhili_lang"

MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("治理", "Zhili"),
    "app.tagline": ("县乡一体、条抓块统的基层治理平台", "Grassroots governance: county and township as one"),
    "nav.home": ("首页", "Home"),
    "nav.org": ("组织架构", "Organisation"),
    "nav.map": ("地图", "Map"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "lang.switch": ("English", "中文"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "home.welcome": ("欢迎", "Welcome"),
    "home.roles": ("岗位", "Positions"),
    "home.scope": ("数据范围", "Data scope"),
    "home.everything": ("全部", "Everything"),
    "org.title": ("组织架构", "Organisation"),
    "org.search": ("搜索区划", "Search divisions"),
    "org.search.placeholder": ("名称或代码，如 龙游县湖镇镇", "Name or code, e.g. 龙游县湖镇镇"),
    "org.children": ("下级区划", "Subdivisions"),
    "org.departments": ("部门", "Departments"),
    "org.people": ("人员", "People"),
    "org.code": ("代码", "Code"),
    "org.name": ("名称", "Name"),
    "org.level": ("层级", "Level"),
    "org.role": ("岗位", "Role"),
    "org.supervisor": ("上级", "Supervisor"),
    "org.phone": ("电话", "Phone"),
    "org.count": ("数量", "Count"),
    "org.synthetic": ("合成边界", "Synthetic boundary"),
    "org.on_map": ("在地图上查看", "Show on map"),
    "org.zones": ("片区（1+X）", "Zones (1+X)"),
    "org.contacts": ("联系人（两网融合）", "Contact officers (two-net merger)"),
    "org.households": ("联系户", "Linked households"),
    "org.more": ("更多", "More"),
    "org.none": ("无", "None"),
    "org.department": ("部门", "Department"),
    "org.kind": ("类别", "Kind"),
    "org.enforcement": ("执法事项", "Enforcement items"),
    "org.exercised_level": ("行使层级", "Exercised at"),
    "org.department_grids": ("部门网格（两网融合）", "Department grids (two-net merger)"),
    "org.community_grids": ("社区网格数", "Community grids"),
    "map.title": ("衢州市地图", "Map of Quzhou"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回首页", "Back to the home page"),
    "level.province": ("省", "Province"),
    "level.city": ("市", "City"),
    "level.county": ("县（市、区）", "County"),
    "level.township": ("乡镇（街道）", "Township"),
    "level.village": ("村（社区）", "Village"),
    "level.grid": ("网格", "Grid"),
    "level.microgrid": ("微网格", "Micro-grid"),
}


def translate(key: str, language: str) -> str:
    """The message for `key` in `language`; a missing key shows itself so it is noticed."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if language == "en" else pair[0]


def request_language(request: Request, default: str) -> str:
    """`?lang=` wins, then the language cookie, then the configured default."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in LANGUAGES else default
