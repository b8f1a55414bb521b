"""Chat message bodies: Markdown renders to safe HTML (a hostile corpus and a property over arbitrary
text), bodies are cleaned and bounded, attachments are checked and their names made safe."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaldesk.kernel.errors import Invalid
from loyaldesk.support.message_format import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_MESSAGE_LENGTH,
    check_attachment,
    check_message_body,
    render_message_html,
    render_plain_text_html,
)

REL = 'rel="noopener noreferrer nofollow"'


class TagCollector(HTMLParser):
    """Every start tag and its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector.tags


ALLOWED = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}


def assert_safe(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    for tag, attributes in parsed_tags(html):
        assert tag in ALLOWED, html
        for name, value in attributes.items():
            assert not name.startswith("on"), html
            if tag == "a":
                assert name in {"href", "rel"}, html
                if name == "href":
                    assert value is not None
                    assert urlsplit(value.strip()).scheme.lower() in {"http", "https", "mailto"}, html
            elif tag == "ol":
                assert name == "start", html
                assert value is not None and value.isdigit(), html
            else:
                raise AssertionError(f"attribute {name} on {tag}: {html}")


# --- Rendering -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("*em* and _em_", "<p><em>em</em> and <em>em</em></p>"),
        ("a\nb", "<p>a<br>\nb</p>"),
        ("a\n\nb", "<p>a</p>\n<p>b</p>"),
        ("`x < y`", "<p><code>x &lt; y</code></p>"),
        ("```python\nprint('<b>')\n```", "<pre><code>print('&lt;b&gt;')\n</code></pre>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'),
        (
            "[shop](https://shop.example/a?b=1&c=2)",
            f'<p><a href="https://shop.example/a?b=1&amp;c=2" {REL}>shop</a></p>',
        ),
        ("<https://shop.example>", f'<p><a href="https://shop.example" {REL}>https://shop.example</a></p>'),
        (
            "[mail us](mailto:help@shop.example)",
            f'<p><a href="mailto:help@shop.example" {REL}>mail us</a></p>',
        ),
        ("# not a heading", "<p># not a heading</p>"),
        ("line\n---", "<p>line<br>\n---</p>"),
        ("Order #1001 & more", "<p>Order #1001 &amp; more</p>"),
        ("", ""),
    ],
)
def test_markdown_renders_as_expected(markdown: str, html: str) -> None:
    assert render_message_html(markdown) == html


def test_bare_urls_stay_text_without_linkify() -> None:
    assert render_message_html("see https://shop.example/track") == "<p>see https://shop.example/track</p>"


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "![x](https://evil.example/pixel.png)",
    '![x](javascript:alert(1) "t")',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "[x]: javascript:alert(1)\n\n[x]",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "[x](https://ok.example) onmouseover=alert(1)",
    "<details open ontoggle=alert(1)>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<!-- <script>alert(1)</script> -->",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
]


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_is_neutralized(markdown: str) -> None:
    html = render_message_html(markdown)
    assert_safe(html)
    assert "javascript:" not in "".join(
        str(value).lower() for _, attributes in parsed_tags(html) for value in attributes.values()
    )


@pytest.mark.parametrize(
    "markdown",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<iframe>"],
)
def test_raw_html_is_shown_as_text(markdown: str) -> None:
    html = render_message_html(markdown)
    assert html.startswith("<p>&lt;")
    assert parsed_tags(html) == [("p", {})]


def test_unsafe_links_lose_their_target_or_are_text() -> None:
    assert render_message_html("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>"
    assert render_message_html("[x](data:text/html;base64,PHNjcmlwdD4=)") == (
        "<p>[x](data:text/html;base64,PHNjcmlwdD4=)</p>"
    )
    # A relative link would point into the console itself; it keeps its text but loses its target.
    assert render_message_html("[settings](/settings/delete)") == f"<p><a {REL}>settings</a></p>"
    assert render_message_html("![x](https://evil.example/p.png)") == (
        f'<p>!<a href="https://evil.example/p.png" {REL}>x</a></p>'
    )


FRAGMENTS = st.sampled_from(
    [
        "<",
        ">",
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:",
        "JaVaScRiPt:",
        "data:text/html,",
        "onerror=",
        " onload=alert(1)",
        "[",
        "](",
        ")",
        "<",
        '"',
        "'",
        "&#",
        "&colon;",
        "\n",
        "\n\n",
        "`",
        "```",
        "*",
        "_",
        "> ",
        "- ",
        "1. ",
        "\\",
        "![",
        "<svg",
        "<a href=",
        "https://x.example",
        "mailto:",
        " ",
        "\t",
        "\x00",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(FRAGMENTS | st.text(max_size=8), max_size=25).map("".join))
def test_rendering_arbitrary_text_is_always_safe(markdown: str) -> None:
    html = render_message_html(markdown)
    assert_safe(html)


# --- Plain text (email) -------------------------------------------------------------------------------

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Hello", "<p>Hello</p>"),
        # Nothing a mail program's writer typed is read as Markdown.
        ("* one\n# two\n1. three\n> four", "<p>* one<br>\n# two<br>\n1. three<br>\n&gt; four</p>"),
        (
            "**bold** _it_ `code` [x](https://a.example)",
            f'<p>**bold** _it_ `code` [x](<a href="https://a.example" {REL}>https://a.example</a>)</p>',
        ),
        ("3. third\n---\n    four spaces", "<p>3. third<br>\n---<br>\n" + "&nbsp;" * 4 + "four spaces</p>"),
        # Paragraphs and line breaks as written.
        ("Hi,\n\nline one\nline two\n\n\n\nBye", "<p>Hi,</p>\n<p>line one<br>\nline two</p>\n<p>Bye</p>"),
        ("a\r\nb\rc", "<p>a<br>\nb<br>\nc</p>"),
        # Links: with a scheme, www., a bare domain and a mail address; the closing dot stays text.
        (
            "Track it: https://shop.example/t?a=1&b=2.",
            f'<p>Track it: <a href="https://shop.example/t?a=1&amp;b=2" {REL}>https://shop.example/t?a=1&amp;b=2</a>.</p>',
        ),
        ("see www.example.com", f'<p>see <a href="http://www.example.com" {REL}>www.example.com</a></p>'),
        (
            "mail jane@example.com",
            f'<p>mail <a href="mailto:jane@example.com" {REL}>jane@example.com</a></p>',
        ),
        # Markup is text; schemes other than http(s) and mailto are not links.
        (
            "<b>hi</b> & <script>alert(1)</script>",
            "<p>&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>",
        ),
        ("javascript:alert(1) ftp://files.example/x", "<p>javascript:alert(1) ftp://files.example/x</p>"),
        ("", ""),
        (" \n\n ", ""),
    ],
)
def test_plain_text_renders_as_written_with_links(text: str, html: str) -> None:
    assert render_plain_text_html(text) == html


@settings(max_examples=200, deadline=None)
@given(st.lists(FRAGMENTS | st.text(max_size=8), max_size=25).map("".join))
def test_rendering_arbitrary_plain_text_is_always_safe_and_keeps_every_word(text: str) -> None:
    html = render_plain_text_html(text)
    assert_safe(html)
    for tag, _ in parsed_tags(html):
        assert tag in {"p", "br", "a"}
    shown = TextCollector.text_of(html)
    for word in text.split():
        if "\x00" not in word and "\r" not in word:
            assert word.replace("\t", "") in shown.replace(NBSP, " ")


class TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @classmethod
    def text_of(cls, html: str) -> str:
        collector = cls()
        collector.feed(html)
        collector.close()
        return "".join(collector.parts)


@pytest.mark.parametrize("unit", ["a.", "http://", "x@", "www.", "a" * 60 + ".", "(", "https://x.example/("])
def test_plain_text_links_are_found_in_linear_time(unit: str) -> None:
    import time

    text = (unit * (MAX_MESSAGE_LENGTH // len(unit)))[:MAX_MESSAGE_LENGTH]
    started = time.perf_counter()
    render_plain_text_html(text)
    assert time.perf_counter() - started < 5  # about 0.05 s; only a super-linear matcher takes longer


# --- Message body --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", "hello"),
        ("  hello \n", "hello"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\x00b\x07c\x1bd\x7fe", "abcde"),
        ("keep\ttab\nand newline", "keep\ttab\nand newline"),
        ("\x00 hi \x00", "hi"),
        ("emoji 🎉 and ü", "emoji 🎉 and ü"),
        ("lone \ud800 surrogate", "lone  surrogate"),
    ],
)
def test_check_message_body_cleans(text: str, expected: str) -> None:
    assert check_message_body(text) == expected


def test_check_message_body_length_limit() -> None:
    at_limit = "x" * MAX_MESSAGE_LENGTH
    assert check_message_body(f"  {at_limit}  ") == at_limit
    with pytest.raises(Invalid) as error:
        check_message_body(at_limit + "y")
    (problem,) = error.value.problems
    assert problem.field == "body"
    assert "at most 10,000 characters" in problem.reason


@pytest.mark.parametrize("text", ["", "   ", "\n\r\n\t", "\x00\x01", " \x00 "])
def test_check_message_body_rejects_empty(text: str) -> None:
    with pytest.raises(Invalid) as error:
        check_message_body(text)
    (problem,) = error.value.problems
    assert (problem.field, problem.reason) == ("body", "must not be empty")


# --- Attachments ---------------------------------------------------------------------------------------

# The first bytes of a file of each allowed type, as real files start.
SAMPLES = {
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00",
    "image/gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00",
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    "text/plain": b"Order 1001 arrived broken.\n",
    "text/csv": b"order,amount\n1001,19.90\n",
}


@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("receipt.pdf", "application/pdf", ("receipt.pdf", "application/pdf")),
        ("photo.PNG", "IMAGE/PNG", ("photo.png", "image/png")),
        ("photo.jpeg", "image/jpeg", ("photo.jpeg", "image/jpeg")),
        ("photo.jpg", "image/jpeg", ("photo.jpg", "image/jpeg")),
        ("notes.txt", "text/plain; charset=utf-8", ("notes.txt", "text/plain")),
        ("export.csv", "text/csv;charset=UTF-8", ("export.csv", "text/csv")),
        ("anim.gif", " image/gif ", ("anim.gif", "image/gif")),
        ("pic.webp", "image/webp", ("pic.webp", "image/webp")),
        ("../../etc/passwd", "text/plain", ("passwd.txt", "text/plain")),
        ("C:\\Users\\ada\\invoice.pdf", "application/pdf", ("invoice.pdf", "application/pdf")),
        ("page.html", "text/plain", ("page.html.txt", "text/plain")),
        ("invoice.pdf.exe", "application/pdf", ("invoice.pdf.exe.pdf", "application/pdf")),
        ("\u202egpj.exe", "image/png", ("gpj.exe.png", "image/png")),
        ("bad\x00name\n.pdf", "application/pdf", ("badname.pdf", "application/pdf")),
        ('a<b>:"c"|d?*.csv', "text/csv", ("a_b___c__d__.csv", "text/csv")),
        ("  spaced   out  .pdf", "application/pdf", ("spaced out.pdf", "application/pdf")),
        (".htaccess", "text/plain", ("htaccess.txt", "text/plain")),
        ("", "image/png", ("attachment.png", "image/png")),
        ("...", "application/pdf", ("attachment.pdf", "application/pdf")),
        ("dir/", "application/pdf", ("attachment.pdf", "application/pdf")),
        (".pdf", "application/pdf", ("pdf.pdf", "application/pdf")),
        ("\x01\x02", "text/csv", ("attachment.csv", "text/csv")),
    ],
)
def test_check_attachment_accepts_with_safe_name(
    filename: str, content_type: str, expected: tuple[str, str]
) -> None:
    assert check_attachment(filename, content_type, SAMPLES[expected[1]]) == expected


@pytest.mark.parametrize(
    ("filename", "declared", "content", "expected"),
    [
        # Mail programs and phones: the label is a guess, the content decides.
        ("IMG_0412.jpg", "image/jpg", SAMPLES["image/jpeg"], ("IMG_0412.jpg", "image/jpeg")),
        ("IMG_0412.JPG", "application/octet-stream", SAMPLES["image/jpeg"], ("IMG_0412.jpg", "image/jpeg")),
        ("scan.jpeg", "image/pjpeg", SAMPLES["image/jpeg"], ("scan.jpeg", "image/jpeg")),
        ("photo.jpg", "image/png", SAMPLES["image/jpeg"], ("photo.jpg", "image/jpeg")),
        ("photo.png", "image/jpeg", SAMPLES["image/png"], ("photo.png", "image/png")),
        ("label.pdf", "", SAMPLES["application/pdf"], ("label.pdf", "application/pdf")),
        ("label", "binary/octet-stream", SAMPLES["application/pdf"], ("label.pdf", "application/pdf")),
        ("notes.txt", "application/octet-stream", b"tracking 123", ("notes.txt", "text/plain")),
        # Windows browsers label a .csv as an Excel file.
        ("orders.csv", "application/vnd.ms-excel", b"a,b\n1,2\n", ("orders.csv", "text/csv")),
        ("orders.csv", "text/plain", b"a,b\n1,2\n", ("orders.csv", "text/csv")),
        # Text in any 8-bit charset, and UTF-16 with its byte-order mark, is text.
        ("brief.txt", "text/plain", "Grüße, Café".encode("cp1252"), ("brief.txt", "text/plain")),
        ("log.txt", "text/plain", "\ufefferror 42\r\n".encode("utf-16-le"), ("log.txt", "text/plain")),
        # Text claiming to be a picture is stored as the text it is, under a name no viewer mistakes.
        ("fake.png", "image/png", b"just words", ("fake.png.txt", "text/plain")),
    ],
)
def test_the_content_decides_the_type_not_the_label(
    filename: str, declared: str, content: bytes, expected: tuple[str, str]
) -> None:
    assert check_attachment(filename, declared, content) == expected


def test_long_filenames_are_cut_keeping_the_extension() -> None:
    name, _ = check_attachment("a" * 300 + ".pdf", "application/pdf", SAMPLES["application/pdf"])
    assert name == "a" * 116 + ".pdf"
    name, _ = check_attachment("b" * 300, "image/jpeg", SAMPLES["image/jpeg"])
    assert name == "b" * 116 + ".jpg"
    assert len(name) == 120


@given(st.text(max_size=200), st.sampled_from(sorted(ALLOWED_ATTACHMENT_TYPES)))
def test_safe_filename_property(filename: str, content_type: str) -> None:
    name, normalized = check_attachment(filename, content_type, SAMPLES[content_type])
    assert normalized == content_type or (content_type, normalized) == ("text/plain", "text/csv")
    assert 0 < len(name) <= 120
    assert "/" not in name and "\\" not in name
    assert all(ord(character) >= 0x20 and character != "\x7f" for character in name)
    assert not name.startswith(".")


@pytest.mark.parametrize(
    ("declared", "content", "named"),
    [
        ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
        ("text/plain", b'<?xml version="1.0"?>\n<svg onload="alert(1)"/>', "image/svg+xml"),
        ("text/html", b"<script>alert(1)</script>", "text/html"),
        ("text/plain", b"  <!DOCTYPE html><html><body onload=alert(1)>", "text/html"),
        ("image/png", b"\xef\xbb\xbf<HTML>\n<body>", "text/html"),
        ("application/xml", b"<?xml version='1.0'?><data/>", "application/xml"),
        ("application/x-msdownload", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/x-msdownload"),
        ("text/javascript", b"\x00\x01binary", "text/javascript"),
        ("", b"PK\x03\x04\x14\x00\x00\x00", "files of this kind"),
        ("pdf", b"\x00\x00\x00\x18ftypheic", "pdf files"),
        # A HEIC photo labelled as a JPEG is named for what it claimed.
        ("image/jpeg", b"\x00\x00\x00\x18ftypheic\x00\x00", "its content is not image/jpeg"),
    ],
)
def test_disallowed_content_is_named_and_the_allowed_types_listed(
    declared: str, content: bytes, named: str
) -> None:
    with pytest.raises(Invalid) as error:
        check_attachment("file.bin", declared, content)
    (problem,) = error.value.problems
    assert problem.field == "file"
    assert named in problem.reason
    for allowed in ALLOWED_ATTACHMENT_TYPES:
        assert allowed in problem.reason


def test_attachment_size_limits() -> None:
    at_limit = SAMPLES["application/pdf"].ljust(MAX_ATTACHMENT_BYTES, b"\x00")
    assert check_attachment("big.pdf", "application/pdf", at_limit)[0] == "big.pdf"
    with pytest.raises(Invalid) as error:
        check_attachment("big.pdf", "application/pdf", at_limit + b"\x00")
    (problem,) = error.value.problems
    assert (problem.field, problem.reason) == ("file", "is larger than the 10 MB limit")
    with pytest.raises(Invalid) as error:
        check_attachment("empty.pdf", "application/pdf", b"")
    (problem,) = error.value.problems
    assert (problem.field, problem.reason) == ("file", "is empty")
