"""Regenerate schemas/<form>.schema.json from each form definition, and schemas/form.schema.json
(the schema of form definition files themselves) from the rule-kind specs; tests keep them equal."""

import json
import sys
from pathlib import Path

from xlcheck.checks.schema import build_schema
from xlcheck.form import available_forms, load_form
from xlcheck.form.definition_schema import definition_schema

ROOT = Path(__file__).resolve().parents[1]


def schema_text(name: str) -> str:
    return json.dumps(build_schema(load_form(name)), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    for name in sys.argv[1:] or available_forms():
        path = ROOT / "schemas" / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    path = ROOT / "schemas" / "form.schema.json"
    path.write_text(json.dumps(definition_schema(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
