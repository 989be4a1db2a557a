"""Each rule kind is a spec checked when the form loads: a broken definition is a FormError that
names the place (rules[i] (id), sheets[i].fields[j]), never a KeyError when a workbook is checked."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from xlcheck.form import FormError
from xlcheck.form.load import build_form, load_form

MINI = Path(__file__).parent / "forms" / "mini.json"


def _bundled() -> dict[str, Any]:
    text = (resources.files("xlcheck") / "forms" / "gov-info-disclosure-2021.json").read_text(
        "utf-8"
    )
    data: dict[str, Any] = json.loads(text)
    return data


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)


def _index(data: dict[str, Any], rule_id: str) -> int:
    return next(i for i, r in enumerate(data["rules"]) if r["id"] == rule_id)


Change = Callable[[dict[str, Any]], None]
BROKEN: list[tuple[str, Change, str]] = [
    (
        "compare without op",
        lambda d: _rule(d, "W1").pop("op"),
        r"rules\[{W1}\] \(W1\): compare needs 'op'",
    ),
    (
        "unknown op",
        lambda d: _rule(d, "W1").update(op="=<"),
        r"rules\[{W1}\] \(W1\): 'op' must be one of",
    ),
    (
        "unknown kind",
        lambda d: _rule(d, "R4").update(kind="summ"),
        r"rules\[{R4}\] \(R4\): unknown kind 'summ'",
    ),
    (
        "extra param",
        lambda d: _rule(d, "R4").update(op="<"),
        r"rules\[{R4}\] \(R4\): sum does not take 'op'",
    ),
    (
        "sum without target",
        lambda d: _rule(d, "R4").pop("target"),
        r"rules\[{R4}\] \(R4\): sum needs 'target'",
    ),
    (
        "terms not a list",
        lambda d: _rule(d, "R1").update(left="applications.new.{col}"),
        r"rules\[{R1}\] \(R1\): 'left' must be a list",
    ),
    (
        "fields not a list",
        lambda d: _rule(d, "W8").update(fields="other_matters"),
        r"rules\[{W8}\] \(W8\): 'fields' must be a list",
    ),
    (
        "any_of of numbers",
        lambda d: _rule(d, "W6").update(any_of=[1, 2]),
        r"rules\[{W6}\] \(W6\): 'any_of' must be a list of texts",
    ),
    (
        "bad regex",
        lambda d: _rule(d, "W7")["patterns"][0].update(regex="(\\d+"),
        r"rules\[{W7}\] \(W7\): 'patterns'",
    ),
    (
        "condition without in",
        lambda d: _rule(d, "R6")["when"].pop("in"),
        r"rules\[{R6}\] \(R6\): 'when'",
    ),
    (
        "no description",
        lambda d: _rule(d, "R2").pop("description"),
        r"rules\[{R2}\] \(R2\): needs 'description'",
    ),
    ("no title", lambda d: _rule(d, "W3").pop("title"), r"rules\[{W3}\] \(W3\): needs 'title'"),
    (
        "no message",
        lambda d: _rule(d, "W9").pop("message"),
        r"rules\[{W9}\] \(W9\): needs 'message'",
    ),
    ("no id", lambda d: d["rules"][2].pop("id"), r"rules\[2\]: needs 'id'"),
]


@pytest.mark.parametrize(("change", "words"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_rule_is_refused_at_load_naming_its_place(change: Change, words: str) -> None:
    data = copy.deepcopy(_bundled())
    index = {r["id"]: str(i) for i, r in enumerate(data["rules"])}
    change(data)
    pattern = words.replace("{", "{{").replace("}", "}}")
    for rule_id, i in index.items():
        pattern = pattern.replace("{{" + rule_id + "}}", i)
    with pytest.raises(FormError, match=pattern):
        build_form(data)


def test_an_unknown_field_type_is_refused_at_load() -> None:
    data = copy.deepcopy(_bundled())
    data["sheets"][2]["fields"][0]["type"] = "countt"
    key = data["sheets"][2]["fields"][0]["key"]
    with pytest.raises(
        FormError, match=rf"sheets\[2\]\.fields\[0\] \({key}\): unknown type 'countt'"
    ):
        build_form(data)
    data = copy.deepcopy(_bundled())
    data["sheets"][3]["grids"][0]["type"] = "countt"
    with pytest.raises(FormError, match=r"sheets\[3\]\.grids\[0\] \(.*\): unknown type 'countt'"):
        build_form(data)


def test_a_broken_form_file_is_a_located_cli_error(tmp_path: Path) -> None:
    """The user's view: `--form broken.json` exits 2 with the place, no traceback."""
    data = json.loads(MINI.read_text("utf-8"))
    data["rules"][1]["kind"] = "compare"  # E1 now lacks its op
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlcheck",
            "template",
            "--form",
            str(path),
            "-o",
            str(tmp_path / "t.xlsx"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "rules[1] (E1): compare needs 'op'" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_bundled_and_mini_forms_load() -> None:
    assert load_form().rules and load_form(str(MINI)).rules


def test_the_reader_does_not_import_the_checks() -> None:
    """The pipeline runs one way: reading a workbook never needs the checks (totals are recomputed
    by the pipeline after reading)."""
    code = "import sys, xlcheck.reader; print(sorted(m for m in sys.modules if m.startswith('xlcheck.checks')))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


# ---- the JSON Schema of form definition files -----------------------------------------------

SCHEMA_FILE = Path(__file__).parents[1] / "schemas" / "form.schema.json"


def test_the_committed_form_schema_is_current_and_accepts_both_forms() -> None:
    import jsonschema

    from xlcheck.form.definition_schema import definition_schema

    committed = json.loads(SCHEMA_FILE.read_text("utf-8"))
    assert committed == definition_schema(), "run python tools/make_schema.py"
    jsonschema.Draft202012Validator.check_schema(committed)
    validator = jsonschema.Draft202012Validator(committed)
    mini = json.loads(MINI.read_text("utf-8"))
    for data in (_bundled(), mini, {**mini, "roles": {"name": "org.name"}}):
        assert not list(validator.iter_errors(data))


def test_the_schema_knows_every_kind_and_its_params() -> None:
    from xlcheck.form.definition_schema import definition_schema
    from xlcheck.rulekinds import RULE_KINDS

    rule = definition_schema()["$defs"]["rule"]
    assert rule["properties"]["kind"]["enum"] == sorted(RULE_KINDS)
    required = {
        c["if"]["properties"]["kind"]["const"]: c["then"]["required"] for c in rule["allOf"]
    }
    assert required == {k: [p.name for p in s.params if p.required] for k, s in RULE_KINDS.items()}


def _write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "form.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return str(path)


def test_a_form_file_is_validated_against_the_schema(tmp_path: Path) -> None:
    mini = json.loads(MINI.read_text("utf-8"))
    typo = {**copy.deepcopy(mini), "rule": mini["rules"]}  # silently ignored before
    with pytest.raises(FormError, match=r"form\.json: the file: Additional properties .*'rule'"):
        load_form(_write(tmp_path, typo))
    unlabelled = copy.deepcopy(mini)
    del unlabelled["sheets"][1]["labels"]  # a KeyError inside the loader before
    with pytest.raises(FormError, match=r"form\.json: sheets\[1\]: 'labels' is a required"):
        load_form.__wrapped__(_write(tmp_path, unlabelled))
    roles = {**copy.deepcopy(mini), "roles": {"name": "org.name"}}
    assert load_form.__wrapped__(_write(tmp_path, roles)).id == "mini-form"


def test_every_bundled_form_validates_against_the_form_schema() -> None:
    """Bundled forms skip the schema at load (start-up time); this test stands in for it."""
    from xlcheck.form import available_forms
    from xlcheck.form.definition_schema import validate_definition

    for name in available_forms():
        text = (resources.files("xlcheck") / "forms" / f"{name}.json").read_text("utf-8")
        validate_definition(json.loads(text), name)
