"""The finishing pass's parts: the county total summed as reports arrive (taken back when one turns
out superseded), and the spool that keeps each submission's values apart from its record."""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from batch_fixtures import OFFICES, office_values, workbook
from documents import valid_values
from xlcheck.batch import BatchOptions, run_batch
from xlcheck.batch.aggregate import AMOUNT_PLACES, Aggregate
from xlcheck.batch.collect import Spool
from xlcheck.batch.records import Envelope, Outcome, Record
from xlcheck.form import Form

FEES = "proactive.fees_wan_yuan"


def reports(form: Form, n: int) -> list[dict[str, Any]]:
    rng = random.Random(5)
    found = []
    for seed in range(n):
        values = valid_values(form, seed=seed)
        values[FEES] = round(rng.uniform(0, 10_000_000), 6)  # 万元: 7 digits and 6 decimals
        found.append(values)
    return found


def summed_in_order(form: Form, reports: list[dict[str, Any]]) -> dict[str, int | float]:
    """What the finishing pass used to compute: plain addition in row order, rounded at the end."""
    totals: dict[str, int | float] = {}
    for f in form.fields.values():
        if f.is_numeric:
            total: int | float = 0
            for values in reports:
                total += values[f.key]
            totals[f.key] = round(total, AMOUNT_PLACES) if isinstance(total, float) else total
    return totals


def test_taking_back_gives_the_sum_of_the_rest_whatever_the_order(form: Form) -> None:
    every = reports(form, 600)  # more than a batch
    huge = valid_values(form, seed=999) | {FEES: 123456789012.345678}  # a typo, later corrected
    superseded = [*every[::7], huge]
    kept = [r for i, r in enumerate(every) if i % 7]
    arrived = [*every, huge]
    random.Random(1).shuffle(arrived)
    total = Aggregate(form)
    for values in arrived:
        total.add(values)
    for values in superseded:
        total.remove(values)
    assert total.count == len(kept)
    assert total.values() == summed_in_order(form, kept)
    assert isinstance(total.values()[FEES], float)
    assert list(total.values()) == [f.key for f in form.fields.values() if f.is_numeric]


def test_a_sum_is_a_float_only_while_it_holds_one(form: Form) -> None:
    whole = valid_values(form, seed=1) | {FEES: 12}
    decimal = valid_values(form, seed=2) | {FEES: 0.5}
    total = Aggregate(form)
    total.add(whole)
    assert total.values()[FEES] == 12 and isinstance(total.values()[FEES], int)
    total.add(decimal)
    assert total.values()[FEES] == 12.5
    total.remove(decimal)
    assert total.values()[FEES] == 12 and isinstance(total.values()[FEES], int)
    assert total.count == 1


def test_text_flags_and_missing_cells_are_not_summed(form: Form) -> None:
    odd = valid_values(form, seed=3)
    odd["proactive.licensing"] = "无"
    odd["proactive.punishment"] = True
    del odd["proactive.enforcement"]
    total = Aggregate(form)
    total.add(odd)
    total.add(valid_values(form, seed=4))
    sums = total.values()
    assert sums["proactive.licensing"] == valid_values(form, seed=4)["proactive.licensing"]
    assert sums["proactive.punishment"] == valid_values(form, seed=4)["proactive.punishment"]
    assert sums["proactive.enforcement"] == valid_values(form, seed=4)["proactive.enforcement"]
    assert Aggregate(form).values() == dict.fromkeys(sums, 0)


def test_the_spool_keeps_values_apart_from_the_record(form: Form) -> None:
    with tempfile.TemporaryFile() as scratch:
        spool = Spool(scratch, {(form.id, form.form_version): form})
        outcome = Outcome(None, True, True, office_key="name:甲", office="甲")
        for seq, when in enumerate((2.0, 1.0)):
            envelope = Envelope(seq, f"{seq}.xlsx", f"{seq}.xlsx", when=when)
            spool.append(Record(envelope, outcome), {"a": seq})
        ordered = list(spool.ordered())
        assert [(e.seq, current) for e, current in ordered] == [(1, False), (0, True)]
        entry = ordered[0][0]
        assert spool.read(entry) == Record(Envelope(1, "1.xlsx", "1.xlsx", when=1.0), outcome)
        assert spool.values(entry) == {"a": 1}
        spool.close()


def test_a_superseded_valid_report_is_taken_out_of_the_totals(form: Form, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    first = office_values(form, 3) | {FEES: 1234567.891234}
    second = office_values(form, 3) | {
        FEES: 7.5,
        "proactive.licensing": first["proactive.licensing"] + 1,
    }
    other = office_values(form, 5)
    for name, values, when in (
        ("b.xlsx", second, 2e9),
        ("a.xlsx", first, 1e9),
        ("c.xlsx", other, 1e9),
    ):
        (inbox / name).write_bytes(workbook(form, values))
        os.utime(inbox / name, (when, when))
    options = BatchOptions([inbox], tmp_path / "out", jobs=2, outputs=False)
    report = run_batch(options)
    assert report.counts == {"通过": 2, "已被新版本取代": 1}
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["aggregate"]["reports"] == 2
    assert summary["aggregate"]["values"] == summed_in_order(form, [second, other])
    rows = [r for r in summary["rows"] if r["office"] == OFFICES[3]]
    assert [r["status"] for r in rows] == ["已被新版本取代", "通过"]
    assert {c["key"] for c in rows[1]["changed"]} == {FEES, "proactive.licensing"}
