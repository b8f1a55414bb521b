"""The knowledge base's pure rules: slugs, checks naming the field, safe Markdown, passages, FAQ pairs."""

from __future__ import annotations

import pytest

from loyaldesk.assistant.knowledge.rules import (
    check_article,
    chunks,
    questions_and_answers,
    render_markdown,
    slugify,
    snippet,
)
from loyaldesk.kernel.errors import Invalid


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Returns & refunds", "returns-refunds"), ("Größe und Passform", "grosse-und-passform"), ("!!!", "")],
)
def test_slugs(text: str, slug: str):
    assert slugify(text) == slug


def test_a_wrong_article_names_each_field():
    with pytest.raises(Invalid) as refused:
        check_article("", "", "fr", "")
    assert {p.field for p in refused.value.problems} == {"title", "body", "language", "slug"}
    assert check_article(" Returns ", "Body", "en", "") == ("Returns", "Body", "en", "returns")


def test_markdown_is_rendered_safely():
    html = render_markdown(
        "## Hi\n\n**bold** [x](javascript:alert(1)) <script>x</script> [ok](https://a.example)"
    )
    assert "<h2>Hi</h2>" in html and "<strong>bold</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html
    assert 'href="https://a.example"' in html and "&lt;script&gt;" in html


def test_passages_carry_the_title_and_stay_short():
    body = "\n\n".join(f"Paragraph {i} " + "word " * 50 for i in range(5))
    passages = chunks("Shipping", body)
    assert len(passages) >= 3 and all(p.startswith("Shipping. ") for p in passages)
    assert all(len(p.split()) <= 120 + 60 for p in passages)
    assert chunks("Only a title", "") == ["Only a title"]


def test_faq_pairs_and_snippets():
    body = "Intro.\n\n## Can I return shoes?\nYes, within **30 days**.\n\n## Shipping\nFast."
    assert questions_and_answers(body) == [("Can I return shoes?", "Yes, within 30 days.")]
    assert snippet("word " * 100, 30).endswith("…") and len(snippet("word " * 100, 30)) <= 31


def test_the_demo_help_center_is_the_benchmarked_one():
    """The demo store publishes exactly the articles bench/retrieval.py measures."""
    import json
    from pathlib import Path

    from loyaldesk.demo.help_center import help_articles

    bench = Path(__file__).resolve().parents[2] / "bench" / "data" / "retrieval_articles.json"
    assert help_articles() == json.loads(bench.read_text(encoding="utf-8"))
