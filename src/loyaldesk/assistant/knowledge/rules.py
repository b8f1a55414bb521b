"""Pure rules of the knowledge base: slugs, checking an article, rendering Markdown safely, plain text,
snippets and the passages (chunks) retrieval indexes. No I/O."""

from __future__ import annotations

import functools
import html
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

from loyaldesk.assistant.knowledge.vocab import ARTICLE_LANGUAGES
from loyaldesk.kernel.errors import FieldProblem, Invalid

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_CATEGORY_NAME = 120
CHUNK_WORDS = 120  # a passage: a heading's section, cut at about this many words

# What an article may contain: text structure, links, images and tables; no scripts, styles or forms.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p", "pre",
    "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Raw HTML off: what an editor types as markup is shown as text, and nh3 cleans what Markdown makes.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_length: int = 80) -> str:
    """``"Returns & refunds"`` → ``"returns-refunds"``: ASCII letters and digits joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode()
    return _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")[:max_length].strip("-")


def check_article(title: str, body: str, language: str, slug: str) -> tuple[str, str, str, str]:
    """The article's fields cleaned (title and body stripped, the slug made from the title when empty);
    ``Invalid`` naming each field that is wrong."""
    problems: list[FieldProblem] = []
    title, body = title.strip(), body.strip()
    if not title or len(title) > MAX_TITLE:
        problems.append(FieldProblem("title", f"is required (at most {MAX_TITLE} characters)"))
    if not body or len(body) > MAX_BODY:
        problems.append(FieldProblem("body", f"is required (at most {MAX_BODY:,} characters)"))
    if language not in ARTICLE_LANGUAGES:
        problems.append(FieldProblem("language", f"must be one of {', '.join(ARTICLE_LANGUAGES)}"))
    slug = slugify(slug or title, max_length=120)
    if not slug:
        problems.append(FieldProblem("slug", "needs at least one letter or digit"))
    if problems:
        raise Invalid("the article is not valid", problems)
    return title, body, language, slug


def check_category(name: str, slug: str) -> tuple[str, str]:
    name = name.strip()
    problems: list[FieldProblem] = []
    if not name or len(name) > MAX_CATEGORY_NAME:
        problems.append(FieldProblem("name", f"is required (at most {MAX_CATEGORY_NAME} characters)"))
    slug = slugify(slug or name)
    if not slug:
        problems.append(FieldProblem("slug", "needs at least one letter or digit"))
    if problems:
        raise Invalid("the category is not valid", problems)
    return name, slug


@functools.lru_cache(maxsize=256)
def render_markdown(body: str) -> str:
    """The body as sanitised HTML (raw HTML in the source is shown as text; links only http(s)/mailto)."""
    rendered = _md.render(body)
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
        strip_comments=True,
    ).strip()


def plain_text(body: str) -> str:
    """The body's words without markup, whitespace collapsed."""
    text = html.unescape(nh3.clean(render_markdown(body), tags=set(), strip_comments=True))
    return " ".join(text.split())


def snippet(body: str, length: int = 200) -> str:
    """The first sentence or two of the body, at most ``length`` characters, cut at a word."""
    text = plain_text(body)
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def chunks(title: str, body: str, *, words: int = CHUNK_WORDS) -> list[str]:
    """The passages retrieval indexes: the body split at its headings and blank lines into pieces of
    about ``words`` words, each prefixed with the title (so a passage alone still says what it is about).
    An article always has at least one chunk (the title alone when the body is empty)."""
    pieces: list[str] = []
    current: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=#)", body):
        text = plain_text(block)
        if not text:
            continue
        if current and len(" ".join(current).split()) + len(text.split()) > words:
            pieces.append(" ".join(current))
            current = []
        current.append(text)
    if current:
        pieces.append(" ".join(current))
    return [f"{title}. {piece}" for piece in pieces] or [title]


def questions_and_answers(body: str) -> list[tuple[str, str]]:
    """FAQ pairs for structured data: each ``##``/``###`` heading ending in ``?`` with the text under it."""
    pairs: list[tuple[str, str]] = []
    sections = re.split(r"^#{2,3}\s+(.+?)\s*$", body, flags=re.MULTILINE)
    for heading, text in zip(sections[1::2], sections[2::2], strict=False):
        answer = plain_text(text)
        if heading.endswith("?") and answer:
            pairs.append((heading, answer))
    return pairs
