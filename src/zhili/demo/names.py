"""Deterministic Chinese personal names for the demo world (synthetic, never real people)."""

from __future__ import annotations

import random

from zhili.org.places import place_word

# The most common surnames, roughly in order of frequency, and characters common in given names.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力林斌宇浩凯晨欣雪"
    "梅琳鹏飞志海波东峰亮俊国庆春燕晓丹慧颖佳嘉琪婷倩雨思源子轩梓涵一诺"
)


def person_names(count: int, *, seed: int) -> list[str]:
    """`count` names drawn deterministically from `seed`; duplicates are allowed, as in life."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    names = []
    for _ in range(count):
        given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)  # noqa: PLR2004
        names.append(rng.choice(SURNAMES) + given)
    return names


def short_village_name(official: str) -> str:
    """Shorten official village names: 戴家村委会, 戴家村村民委员会 → 戴家村; 城南居委会, 城南社区居委会 → 城南社区."""
    return place_word(official)
