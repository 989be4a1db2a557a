"""Regenerate templates/xlsx/<form>.xlsx from the bundled form definitions.

Run `python tools/make_template.py` after changing a form or the template writer; a test fails
when the committed copy is out of date (compared by content, not bytes).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xlcheck.form import available_forms, load_form  # noqa: E402
from xlcheck.xlsxout import write_template  # noqa: E402


def main() -> None:
    for name in available_forms():
        path = ROOT / "templates" / "xlsx" / f"{name}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_template(load_form(name), path)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
