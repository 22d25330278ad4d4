"""What a person reads on a page, and the words that must never be among it.

`visible_text` takes the text a reader sees from an HTML page: text nodes outside `<script>`,
`<style>` and `<template>`, the `<title>`, and the `title`, `placeholder`, `alt` and `aria-label`
attributes and the values of buttons. `problems` returns what is wrong in it for the page's language:
raw codes (snake_case enum values, message keys that failed to translate, topics like `case.red_card`),
actor strings (`account:8:gridworker`, `system:clock`), UTC and ISO times, Python reprs, English on a
Chinese page (and an English colon or brackets with Chinese words), and Chinese labels left on an English page.

The allowlist is short on purpose. Allowed on a Chinese page: the product's name (Zhili), the language
switch (English), a few abbreviations people use as words (GPS, CSV, XLSX, PDF, SMS, ID, URL, HTTP, Webhook, 1+X),
codes with digits in them (case numbers ZL…, campaign numbers SL-…, plate numbers 浙H…, division
codes), e-mail addresses and web addresses, the login's own username, and whatever the page's
an element marked `translate="no"` holds (file formats, field paths, a source's own name: the HTML
attribute for content that is not language). Chinese is allowed on an English page: people's
names, place and unit names and what people wrote are data; only a run of Chinese that is one of the
product's own labels (a message of the catalog or a role name) is flagged there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from lxml.etree import ParserError
from lxml.html import HtmlElement, HTMLParser, document_fromstring

from zhili.campaigns.templates_service import packaged_templates
from zhili.matters.catalog import load_catalog
from zhili.org.roles import ROLE_NAMES
from zhili.web.i18n import messages

SKIPPED_ELEMENTS = frozenset({"script", "style", "template", "noscript"})
READ_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")
BUTTON_TYPES = frozenset({"submit", "button", "reset"})

# The product's name in Chinese, shown beside "Zhili" on every page.
BRAND = frozenset({"治理"})
# English words a Chinese page may show: the name, the language switch, abbreviations used as words.
ENGLISH_ON_CHINESE = frozenset(
    {"Zhili", "English", "GPS", "CSV", "XLSX", "PDF", "SMS", "ID", "URL", "HTTP", "Webhook", "DingTalk", "TOML", "JSON"}
)

SNAKE = re.compile(r"(?<![\w./:@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@-])")
DOTTED_KEY = re.compile(r"(?<![\w./@-])[a-z][a-z_]+(?:\.[a-z0-9_]+)+(?![\w@(/-])")
ACTOR = re.compile(r"\b(?:account|system|token|person):[\w:.-]+")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})")
ISO_T = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ZONE = re.compile(r"(?:\+00:00|\bUTC\b|\bGMT\b|\bCST\b)")
# A repr's True/False/None ends the value: "False advertising" (a label) is English words, not a repr.
REPR = re.compile(r"\[\s*'|'\s*\]|\[\s*\"|\{'|^(?:True|False)$|[\[(:=,：]\s*(?:True|False|None)\b(?!\s+[a-z])")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
CODE_LIKE = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9-]*|[A-Z]{1,4}-[A-Z0-9-]+")
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*|https?://\S+|/[\w/{}.-]*")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e·0-9]*")
CJK = re.compile(r"[\u3400-\u9fff]")
# "接收人数: 24": a Chinese label takes the full-width colon (the catalog's `colon`), not an English one.
HALF_WIDTH_COLON = re.compile(r"[\u3400-\u9fff）]:(?!//)")
# "(共 896 项任务)": an aside in Chinese takes full-width brackets (the catalog's `bracketed`).
HALF_WIDTH_BRACKETS = re.compile(r"\([^()]*[\u3400-\u9fff][^()]*\)")
# "另有 3 项 / 3 more", "1 hours": two languages, or a unit not agreeing with its number.
MIXED_MORE = re.compile(r"另有.*\bmore\b|\bmore\b.*另有|\b1 (?:hours|working days|minutes|days)\b")
# Words that are only ever a label of the product's own, never data: on an English page they are untranslated.
CHINESE_FUNCTION_WORDS = frozenset({"另有", "项", "小时", "分钟", "个工作日", "工作日", "天", "是", "否", "无", "更多"})


@dataclass(frozen=True)
class Fragment:
    """One piece of visible text, the element it was read from, and whether it is marked as Chinese text."""

    text: str
    where: str
    is_marked_chinese: bool = False


# libxml2's HTML parser, without its limits on depth and text size (beyond them it would return an empty tree).
PARSER = HTMLParser(huge_tree=True)


@dataclass
class VisibleText:
    """Collects the visible text of a page as fragments from the tree libxml2 parsed (lxml: C, not `html.parser`).

    libxml2 builds the tree as a browser would in a few places where a tag reader did not: a `<p>` is
    closed by a block element that opens inside it, a stray end tag is dropped. The product's templates
    are well formed, and on 756 of their pages this reader and the former `html.parser` one gave the
    same fragments and links.
    """

    fragments: list[Fragment] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def read(self, element: HtmlElement, *, is_skipped: bool, is_in_head: bool, is_chinese: bool) -> None:
        """An element: its visible attributes, its text and its children's, each child's tail as this element's text."""
        tag = element.tag
        values = element.attrib
        is_chinese = is_chinese or (values.get("lang", "").startswith("zh") and tag != "html")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        where = tag + (f"#{values['id']}" if values.get("id") else "")
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self._add(values[name], f"{where}[{name}]", is_chinese=is_chinese)
        if tag == "input" and values.get("type") in BUTTON_TYPES and values.get("value"):
            self._add(values["value"], f"{where}[value]", is_chinese=is_chinese)
        is_skipped = is_skipped or tag in SKIPPED_ELEMENTS or values.get("translate") == "no"
        is_in_head = is_in_head or tag == "head"
        is_shown = not is_skipped and (not is_in_head or tag == "title")
        if is_shown and element.text:
            self._add(element.text, tag, is_chinese=is_chinese)
        for child in element:
            if isinstance(child.tag, str):  # not a comment
                self.read(child, is_skipped=is_skipped, is_in_head=is_in_head, is_chinese=is_chinese)
            if is_shown and child.tail:
                self._add(child.tail, tag, is_chinese=is_chinese)

    def _add(self, text: str, where: str, *, is_chinese: bool) -> None:
        cleaned = " ".join(text.split())
        if cleaned:
            self.fragments.append(Fragment(cleaned, where, is_chinese))


def visible_text(html: str) -> list[Fragment]:
    """The fragments of text a reader sees on the page."""
    return read_page(html)[0]


def read_page(html: str) -> tuple[list[Fragment], list[str]]:
    """The fragments of text a reader sees on the page, and the `href`s of its links (one parse for both)."""
    reader = VisibleText()
    try:
        root = document_fromstring(html, parser=PARSER)
    except ParserError:  # no element at all: an empty answer, a comment
        return [], []
    reader.read(root, is_skipped=False, is_in_head=False, is_chinese=False)
    return reader.fragments, reader.links


@cache
def chinese_labels() -> frozenset[str]:
    """Every Chinese label of the product whose English differs: messages and role names."""
    labels = {_without_runs_of(zh, en) for zh, en in messages().values() if zh != en}
    labels |= {zh for zh, _ in ROLE_NAMES.values()}
    for matter in load_catalog():
        labels |= {matter.name_zh} | {a.name_zh for a in matter.attributes}
        labels |= {v.name_zh for a in matter.attributes for v in a.values}
    for template in packaged_templates():
        labels |= {template.name_zh} | {task.title_zh for task in template.tasks}
    runs = {run for label in labels for run in CJK_RUN.findall(label)}
    return frozenset(runs | CHINESE_FUNCTION_WORDS) - BRAND


def problems(
    text: str, language: str, *, allowed_words: frozenset[str] = frozenset(), is_marked_chinese: bool = False
) -> list[str]:
    """What is wrong with one fragment of visible text on a page in `language` (empty if nothing)."""
    return list(_problems(text, language, allowed_words, is_marked_chinese))


@cache
def _problems(text: str, language: str, allowed_words: frozenset[str], is_marked_chinese: bool) -> tuple[str, ...]:
    """`problems`, remembered: a crawl reads the same menus and headings on every page."""
    addresses_out = _without_addresses(text)
    found = [f"raw code {m!r}" for m in SNAKE.findall(addresses_out)]
    found += [f"untranslated key {m!r}" for m in DOTTED_KEY.findall(addresses_out)]
    found += [f"actor string {m!r}" for m in ACTOR.findall(text)]
    found += [f"UTC/ISO time {m!r}" for m in ISO_TIME.findall(text) + ISO_T.findall(text)]
    found += [f"time zone {m!r}" for m in ZONE.findall(text)]
    found += [f"Python repr {m!r}" for m in REPR.findall(text)]
    found += [f"mixed languages {m!r}" for m in MIXED_MORE.findall(text)]
    if language == "zh":
        found += [f"English {w!r}" for w in english_words(text) if w not in allowed_words]
        found += [f"half-width colon after Chinese {m!r}" for m in HALF_WIDTH_COLON.findall(text)]
        found += [f"half-width brackets around Chinese {m!r}" for m in HALF_WIDTH_BRACKETS.findall(text)]
    elif not is_marked_chinese:
        found += [f"Chinese label {r!r}" for r in CJK_RUN.findall(text) if _is_label(r)]
    return tuple(dict.fromkeys(found))


def english_words(text: str) -> list[str]:
    """The English words of a text, leaving out addresses, codes with digits and the allowlist."""
    stripped = CODE_LIKE.sub(" ", SNAKE.sub(" ", DOTTED_KEY.sub(" ", _without_addresses(text))))
    return [w for w in ENGLISH_WORD.findall(stripped) if w not in ENGLISH_ON_CHINESE and not _is_code_letter(w)]


def _without_runs_of(zh: str, en: str) -> str:
    """A message's Chinese without the runs its English shows too (examples of data, like a place name)."""
    return " ".join(run for run in CJK_RUN.findall(zh) if run not in en)


def _is_label(run: str) -> bool:
    trimmed = run.strip("：:，,。·（）() ")
    return trimmed in chinese_labels()


def _is_code_letter(word: str) -> bool:
    """A single capital letter is a code part (grid A, 1+X), not a word."""
    return len(word) == 1 or word == "X"


def _without_addresses(text: str) -> str:
    return ADDRESS.sub(" ", text)


def has_chinese(text: str) -> bool:
    """Whether a text holds any Chinese character."""
    return bool(CJK.search(text))
