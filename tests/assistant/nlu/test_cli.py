"""``loyaldesk assistant evaluate`` on small CSV files, the way a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loyaldesk.cli import app

TRAIN = """text,label
where is my order,order_status
has my parcel shipped,order_status
my package hasn't arrived,order_status
when will my order get here,order_status
how many points do I have,points_balance
what's my loyalty balance,points_balance
check my reward points,points_balance
do I have any points,points_balance
hello,greeting
hi there,greeting
good morning,greeting
hey,greeting
what's the weather like,oos
tell me a joke,oos
set a timer,oos
who is the president,oos
"""
VALIDATION = """text,label
is my order on its way,order_status
points balance please,points_balance
hiya,greeting
how do I cook rice,oos
"""
TEST = """text,label
any news about my parcel,order_status
how many loyalty points have I got,points_balance
hello there,greeting
play some music,oos
what is two plus two,oos
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_prints_one_json_object_with_every_figure(tmp_path: Path) -> None:
    arguments = ["assistant", "evaluate", "--train", str(_write(tmp_path, "train.csv", TRAIN))]
    arguments += ["--test", str(_write(tmp_path, "test.csv", TEST))]
    arguments += ["--validation", str(_write(tmp_path, "val.csv", VALIDATION)), "--out-of-scope-label", "oos"]
    result = CliRunner().invoke(app, [*arguments, "--latency-samples", "5"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    expected = {"accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "threshold", "train_seconds"}
    assert expected | {"p50_ms", "p99_ms"} <= set(figures)
    assert figures["in_scope_accuracy"] == 1.0  # three easy in-scope messages
    assert 0.0 <= figures["oos_recall"] <= 1.0 and 0.0 <= figures["threshold"] < 1.0
    assert figures["p99_ms"] >= figures["p50_ms"] > 0


def test_without_an_out_of_scope_label_there_is_no_oos_recall(tmp_path: Path) -> None:
    in_scope = "\n".join(line for line in TRAIN.splitlines() if not line.endswith(",oos")) + "\n"
    test = "\n".join(line for line in TEST.splitlines() if not line.endswith(",oos")) + "\n"
    result = CliRunner().invoke(
        app,
        ["assistant", "evaluate", "--train", str(_write(tmp_path, "t.csv", in_scope)), "--test",
         str(_write(tmp_path, "e.csv", test)), "--latency-samples", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert "oos_recall" not in figures and figures["accuracy"] == 1.0 and figures["threshold"] == 0.0


def test_a_bad_file_is_named_with_its_line_and_column(tmp_path: Path) -> None:
    train = _write(tmp_path, "train.csv", TRAIN)
    broken = _write(tmp_path, "broken.csv", "text,label\nwhere is my order,order_status\nhello,\n")
    result = CliRunner().invoke(app, ["assistant", "evaluate", "--train", str(train), "--test", str(broken)])
    assert result.exit_code == 1
    assert "broken.csv, line 3: column label is empty" in " ".join(result.output.split())
    no_header = _write(tmp_path, "no_header.csv", "utterance,intent\nhi,greeting\n")
    result = CliRunner().invoke(
        app, ["assistant", "evaluate", "--train", str(no_header), "--test", str(train)]
    )
    assert result.exit_code == 1 and "missing column(s) label, text" in " ".join(result.output.split())


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_prepare_saves_the_default_model_where_the_server_reads_it(
    default_model, assistant_cache: Path
) -> None:
    result = CliRunner().invoke(app, ["assistant", "prepare"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert Path(figures["model"]).parent == assistant_cache and Path(figures["model"]).exists()
    assert figures["intents"] == len(default_model.labels) and figures["threshold"] == round(
        default_model.threshold, 4
    )


def test_evaluate_retrieval_prints_the_three_measures(tmp_path: Path) -> None:
    articles = [
        {"id": "returns", "title": "Returning an item", "body": "Send it back within 30 days for a refund."},
        {"id": "points", "title": "Earning points", "body": "Every euro you spend earns one loyalty point."},
        {"id": "shipping", "title": "Shipping times", "body": "Parcels arrive in two to four working days."},
    ]
    (tmp_path / "articles.json").write_text(json.dumps(articles))
    (tmp_path / "queries.csv").write_text(
        "text,article_id\n"
        "can I send my shoes back,returns\n"
        "how do I collect points,points\n"
        "how long does delivery take,shipping\n"
    )
    result = CliRunner().invoke(
        app,
        [
            "assistant",
            "evaluate-retrieval",
            "--articles",
            str(tmp_path / "articles.json"),
            "--queries",
            str(tmp_path / "queries.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert {"hit_at_1", "recall_at_5", "mrr_at_10"} <= figures.keys()
    assert figures["hit_at_1"] == 1.0 and figures["mrr_at_10"] == 1.0


def test_evaluate_retrieval_names_a_query_for_an_unknown_article(tmp_path: Path) -> None:
    (tmp_path / "articles.json").write_text(json.dumps([{"id": 1, "title": "Returns", "body": "30 days."}]))
    (tmp_path / "queries.csv").write_text("text,article_id\nwhere is my refund,99\n")
    result = CliRunner().invoke(
        app,
        [
            "assistant",
            "evaluate-retrieval",
            "--articles",
            str(tmp_path / "articles.json"),
            "--queries",
            str(tmp_path / "queries.csv"),
        ],
    )
    assert result.exit_code != 0
    assert "99" in result.output
