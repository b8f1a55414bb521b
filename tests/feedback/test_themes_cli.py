"""``loyaldesk feedback evaluate-themes`` and ``prepare`` on small CSV files, including bad ones."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from loyaldesk.cli import app
from loyaldesk.feedback.themes.defaults import default_examples, held_out_examples

runner = CliRunner()


def write(path: Path, rows: list[tuple[str, str]], header: tuple[str, ...] = ("text", "themes")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# Theme names the default data never uses: the command learns whatever themes the training file has.
TRAIN = [
    *[(f"the coffee was bitter and burnt, cup {i}", "taste") for i in range(3)],
    ("Tasted stale and bitter.", "taste"),
    ("Awful flavour, very sour.", "taste"),
    ("The espresso tasted burnt.", "taste"),
    ("Lovely smooth flavour.", "taste"),
    ("The barista was rude to me.", "barista"),
    ("Barista was friendly and quick.", "barista"),
    ("The staff behind the counter ignored us.", "barista"),
    ("Nice barista, remembered my order.", "barista"),
    ("The barista got my name wrong and was rude.", "barista"),
    ("The cafe was far too noisy.", ""),
    ("Bitter coffee and a rude barista.", "taste|barista"),
]
TEST = [
    ("Sour and burnt coffee.", "taste"),
    ("The barista was very kind.", "barista"),
    ("Rude staff, bitter drink.", "taste|barista"),
    ("Seats were uncomfortable.", "seating"),  # a theme the training file never had
]


def test_evaluate_themes_trains_on_train_only_and_prints_json(tmp_path: Path) -> None:
    train = write(tmp_path / "train.csv", TRAIN)
    test = write(tmp_path / "test.csv", TEST)
    result = runner.invoke(app, ["feedback", "evaluate-themes", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures["themes_trained"]) == {"taste", "barista"}
    assert figures["test_themes_unseen_in_train"] == ["seating"]
    assert figures["per_theme"]["seating"] == 0.0  # never predictable: counted, not hidden
    assert figures["per_theme"]["taste"] > 0.5 and figures["per_theme"]["barista"] > 0.5
    assert 0 < figures["macro_f1"] < 1 and 0 < figures["micro_f1"] < 1
    assert figures["train_comments"] == len(TRAIN) and figures["test_comments"] == len(TEST)
    assert figures["support"] == {"barista": 2, "seating": 1, "taste": 2}


def test_evaluate_themes_on_the_default_data_against_the_held_out_file(tmp_path: Path) -> None:
    train = write(tmp_path / "train.csv", [(text, "|".join(names)) for text, names in default_examples()])
    test = write(tmp_path / "test.csv", [(text, "|".join(names)) for text, names in held_out_examples()])
    result = runner.invoke(app, ["feedback", "evaluate-themes", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert len(figures["per_theme"]) == 13
    assert figures["macro_f1"] > 0.75  # recorded in docs/benchmarks.md: 0.887 when written


def test_bad_files_are_refused_naming_the_problem(tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", TRAIN)
    cases = {
        "missing": (tmp_path / "nowhere.csv", "no such file"),
        "empty": (tmp_path / "empty.csv", "the file is empty"),
        "column": (
            write(tmp_path / "column.csv", [("x", "y")], header=("text", "label")),
            "missing column(s) themes",
        ),
        "no rows": (write(tmp_path / "header.csv", []), "no comments"),
        "blank text": (
            write(tmp_path / "blank.csv", [("ok", "taste"), ("", "taste")]),
            "line 3: column text is empty",
        ),
    }
    (tmp_path / "empty.csv").write_text("")
    for name, (path, message) in cases.items():
        for option in ("--train", "--test"):
            args = ["--train", str(good), "--test", str(good)]
            args[args.index(option) + 1] = str(path)
            result = runner.invoke(app, ["feedback", "evaluate-themes", *args])
            assert result.exit_code == 1, (name, option, result.output)
            said = " ".join(result.output.split())  # the console wraps long lines
            assert message in said and option in said, (name, option, said)
    untrainable = write(tmp_path / "few.csv", [("one", "taste"), ("two", "")])
    result = runner.invoke(
        app, ["feedback", "evaluate-themes", "--train", str(untrainable), "--test", str(good)]
    )
    assert result.exit_code == 1 and "no theme has 5 labelled comments" in " ".join(result.output.split())


def test_prepare_builds_the_default_model(assistant_cache: Path) -> None:
    result = runner.invoke(app, ["feedback", "prepare"])
    assert result.exit_code == 0, result.output
    prepared = json.loads(result.stdout)
    assert prepared["themes"] == 13 and prepared["macro_f1"] > 0.7
    assert Path(prepared["model"]).parent == assistant_cache and Path(prepared["model"]).is_file()
