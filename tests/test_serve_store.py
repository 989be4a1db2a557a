"""The serve store: offices and their links, submissions kept whole and in order, the admin's
password, the session secret and the login rate limit, in a real folder and a real SQLite file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
from datetime import datetime
from pathlib import Path

import pytest

from xlcheck.serve.auth import hash_password, new_token, token_hash, verify_password
from xlcheck.serve.store import Facts, Store, StoreError

T0 = 1_796_000_000.0  # 2026-11-30, a fixed moment for the injected clock
CODE_A = "91110000100000000R"  # valid GB 32100 credit codes (the last is the check character)
CODE_B = "11100000000013127D"


class Clock:
    """The store's clock in a test: moved by hand, never slept on."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    opened = Store.open(tmp_path / "serve", clock=clock)
    yield opened
    opened.close()


def facts(status: str = "valid", **values: object) -> Facts:
    return Facts(
        status=status,
        errors=0 if status == "valid" else 2,
        warnings=1,
        open_warnings=1,
        form_id="gov-info-disclosure-2021",
        year=2025,
        report={"files": [{"path": "x.xlsx", "valid": status == "valid"}]},
        values=dict(values),
        explanations=[{"rule": "R1", "place": "B7", "text": "本年无此项工作"}],
    )


def submit(store: Store, office_id: int, data: bytes, name: str = "报表.xlsx", **kw: object):  # type: ignore[no-untyped-def]
    outputs = kw.pop("outputs", {})
    return store.submit(
        office_id, data, name, hashlib.sha256(data).hexdigest(), ".xlsx", facts(), outputs
    )  # type: ignore[arg-type]


def one_office(store: Store, name: str = "某某镇人民政府", code: str | None = None) -> int:
    [(office, _token)] = store.add_offices([(name, code)])
    return office.id


# ---- auth ----------------------------------------------------------------------------------------


def test_a_token_is_256_random_bits_in_url_safe_text() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) == 43 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_a_password_hash_is_scrypt_with_salt_and_costs_kept() -> None:
    first, second = hash_password("县政务公开办2026"), hash_password("县政务公开办2026")
    assert first.startswith("scrypt$16384$8$1$") and first != second  # salted
    assert verify_password("县政务公开办2026", first) and verify_password(
        "县政务公开办2026", second
    )
    assert not verify_password("县政务公开办2025", first)
    assert not verify_password("", first)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain",
        "scrypt$16384$8$1$!!$!!",
        "md5$1$1$1$AA==$AA==",
        "scrypt$1073741824$8$1$AA==$AA==",
    ],
)
def test_a_malformed_or_too_costly_hash_verifies_nothing(encoded: str) -> None:
    assert not verify_password("x", encoded)


# ---- the folder ------------------------------------------------------------------------------------


def test_open_makes_the_layout_with_a_wal_index(store: Store) -> None:
    root = store.root
    for name in ("inbox", "outputs", ".incoming"):
        assert (root / name).is_dir()
    with sqlite3.connect(root / "index.sqlite") as look:
        assert look.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    look.close()


def test_the_session_secret_is_32_bytes_private_and_kept(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    secret = first.session_secret()
    first.close()
    assert len(secret) == 32 and (tmp_path / "secret").read_bytes() == secret
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    again = Store.open(tmp_path)
    assert again.session_secret() == secret
    again.close()


def _one_zh_line(exc: StoreError, path: Path) -> None:
    text = str(exc)
    assert "\n" not in text and str(path) in text
    assert any("\u4e00" <= c <= "\u9fff" for c in text)
    english = exc.text("en")
    assert str(path) in english and not any("\u4e00" <= c <= "\u9fff" for c in english)


def test_a_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    target = tmp_path / "serve"
    target.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        Store.open(target)
    _one_zh_line(caught.value, target)
    below = target / "inner"
    with pytest.raises(StoreError) as caught:
        Store.open(below)
    _one_zh_line(caught.value, below)


def test_an_index_that_is_not_sqlite_is_named(tmp_path: Path) -> None:
    (tmp_path / "index.sqlite").write_bytes(b"PK\x03\x04 this is a zip, not an index" * 40)
    with pytest.raises(StoreError) as caught:
        Store.open(tmp_path)
    _one_zh_line(caught.value, tmp_path / "index.sqlite")


def test_another_programs_sqlite_file_is_not_taken_as_the_index(tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "index.sqlite")
    other.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    other.execute("INSERT INTO meta VALUES ('version', '3')")  # as batch's state file has
    other.commit()
    other.close()
    with pytest.raises(StoreError) as caught:
        Store.open(tmp_path)
    _one_zh_line(caught.value, tmp_path / "index.sqlite")


def _unwritable_dir(tmp_path: Path) -> Path:
    """A folder this process cannot write into: chmod for a user; root writes anyway, so a
    kernel folder that refuses new entries (/sys) stands in."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        (folder / "probe").mkdir()
    except OSError:
        return folder
    (folder / "probe").rmdir()
    folder.chmod(0o700)
    sys_dir = Path("/sys")
    try:
        (sys_dir / "xlcheck-probe").mkdir()
    except OSError:
        return sys_dir
    pytest.skip("no unwritable folder available")


def test_an_unwritable_folder_is_named(tmp_path: Path) -> None:
    folder = _unwritable_dir(tmp_path)
    try:
        with pytest.raises(StoreError) as caught:
            Store.open(folder)
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o700)
    _one_zh_line(caught.value, folder)


# ---- offices and links ---------------------------------------------------------------------------


def test_new_offices_get_a_link_and_a_reread_roster_adds_none(store: Store) -> None:
    added = store.add_offices([("某某镇人民政府", None), ("县财政局", CODE_A), ("县教育局", None)])
    assert [o.name for o, _ in added] == ["某某镇人民政府", "县财政局", "县教育局"]
    assert all(o.has_link and o.link_issued_at for o, _ in added)
    for office, token in added:
        assert store.office_for_token(token) == office
    # the same roster read again, spaced and full-width, the bureau renamed but with its code
    again = store.add_offices(
        [
            ("某某镇 人民政府", None),
            ("财政局（县）", CODE_A),
            ("县教育局", None),
            ("县教育局", None),
        ]
    )
    assert again == []
    assert len(store.offices()) == 3
    assert store.office(added[1][0].id).credit_code == CODE_A  # type: ignore[union-attr]


def test_an_office_known_by_name_takes_its_code_when_the_roster_gives_it(store: Store) -> None:
    office = one_office(store, "县教育局")
    assert store.add_offices([("县教育局", CODE_B)]) == []
    assert store.office(office).credit_code == CODE_B  # type: ignore[union-attr]
    # a different valid code under the same name is another office
    assert len(store.add_offices([("县教育局", CODE_A)])) == 1


def test_tokens_are_kept_only_as_hashes(store: Store) -> None:
    tokens = [t for _, t in store.add_offices([("甲镇", None), ("乙镇", None)])]
    store.close()
    stored = b"".join(p.read_bytes() for p in store.root.glob("index.sqlite*"))
    for token in tokens:
        assert token.encode() not in stored
        assert token_hash(token).encode() in stored


def test_reissue_stops_the_old_link_and_revoke_stops_all(store: Store) -> None:
    [(office, old)] = store.add_offices([("甲镇", None)])
    new = store.issue_token(office.id)
    assert new != old
    assert store.office_for_token(old) is None
    assert store.office_for_token(new).id == office.id  # type: ignore[union-attr]
    store.revoke_token(office.id)
    assert store.office_for_token(new) is None
    assert not store.office(office.id).has_link  # type: ignore[union-attr]
    assert store.office(office.id).link_issued_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("guess", ["", "x", new_token(), "a" * 10_000, "\udcff"])
def test_a_guessed_token_finds_nothing(store: Store, guess: str) -> None:
    store.add_offices([("甲镇", None)])
    assert store.office_for_token(guess) is None


def test_offices_whose_folder_names_collide_get_their_own_folders(store: Store) -> None:
    ids = [
        o.id
        for o, _ in store.add_offices(
            [("某镇/甲", None), ("某镇:甲", None), ("ABC", None), ("abc", None)]
        )
    ]
    assert len(ids) == 4
    rows = [submit(store, office, f"{office}".encode()) for office in ids]
    folders = [Path(r.stored_path).parent for r in rows]
    assert len({str(f).casefold() for f in folders}) == 4
    assert all(f.parent == Path("inbox") for f in folders)
    assert folders[0].name == "某镇_甲"


# ---- submissions ---------------------------------------------------------------------------------


def test_a_submission_is_kept_whole_with_its_time_and_outputs(store: Store, clock: Clock) -> None:
    office = one_office(store)
    data = b"PK\x03\x04" + os.urandom(5000)
    outputs = {"errors": ("../../报表.errors.xlsx", b"workbook"), "json": ("a/b.json", b"{}")}
    row = submit(store, office, data, name="../../etc/passwd", outputs=outputs)
    local = datetime.fromtimestamp(T0)
    assert row.receipt == f"S{local:%Y%m%d}-000001"
    assert row.received_at == "2026-11-30T00:53:20Z"
    assert row.stored_path == f"inbox/某某镇人民政府/{local:%Y%m%d-%H%M%S}-{row.receipt}.xlsx"
    stored = store.root / row.stored_path
    assert stored.read_bytes() == data and stored.stat().st_mtime == T0
    assert row.original_name == "../../etc/passwd"  # data only
    assert set(row.outputs) == {"errors", "json"}
    for kind, path in row.outputs.items():
        assert Path(path).parent == Path("outputs") / row.receipt
        assert (store.root / path).read_bytes() == outputs[kind][1]
    assert not any((store.root / ".incoming").iterdir())
    assert store.submission(row.receipt) == row
    assert store.submissions(office) == [row] == store.submissions()
    assert store.submission("S20261130-999999") is None


def test_a_submission_reads_back_the_same_after_reopen(tmp_path: Path, clock: Clock) -> None:
    first = Store.open(tmp_path, clock=clock)
    office = one_office(first)
    name = "报表\udcff" + "长" * 400
    row = first.submit(
        office, b"x", name, hashlib.sha256(b"x").hexdigest(), ".xlsx", facts(甲=1), {}
    )
    first.close()
    again = Store.open(tmp_path, clock=clock)
    assert again.submission(row.receipt) == row
    assert len(row.original_name) == 255 and row.original_name.startswith("报表")
    assert row.facts == facts(甲=1)
    again.close()


def test_a_submission_for_no_office_or_with_a_wrong_hash_is_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        submit(store, 42, b"x")
    office = one_office(store)
    with pytest.raises(ValueError):
        store.submit(office, b"x", "a.xlsx", "0" * 64, ".xlsx", facts(), {})
    assert store.submissions() == []


def test_resubmissions_keep_arrival_order_within_one_second(store: Store) -> None:
    office = one_office(store)
    rows = [submit(store, office, bytes([i])) for i in range(5)]
    assert [r.id for r in store.submissions(office)] == sorted(r.id for r in rows)
    assert len({r.stored_path for r in rows}) == 5


def test_submissions_at_the_same_instant_from_threads_are_all_kept(store: Store) -> None:
    town, bureau = one_office(store, "甲镇"), one_office(store, "乙局")
    gate = threading.Barrier(3)
    done: list[object] = []

    def send(office: int, data: bytes) -> None:
        gate.wait()
        done.append(submit(store, office, data))

    threads = [
        threading.Thread(target=send, args=a)
        for a in ((town, b"town-1"), (bureau, b"bureau"), (town, b"town-2"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = store.submissions()
    assert len(rows) == 3 and len({r.receipt for r in rows}) == 3
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert sorted(r.receipt for r in rows) == [r.receipt for r in rows]  # in arrival order
    assert sorted(r.sha256 for r in done) == sorted(r.sha256 for r in rows)  # type: ignore[attr-defined]
    for r in rows:
        assert hashlib.sha256((store.root / r.stored_path).read_bytes()).hexdigest() == r.sha256
    assert len(store.submissions(town)) == 2


def test_many_threads_submitting_and_reading_lose_nothing(store: Store) -> None:
    offices = [one_office(store, f"第{i}镇") for i in range(4)]
    seen: dict[int, list[int]] = {}

    def send(office: int) -> None:
        for n in range(8):
            seen.setdefault(office, []).append(submit(store, office, f"{office}-{n}".encode()).id)
            store.offices(), store.submissions(office)

    threads = [threading.Thread(target=send, args=(o,)) for o in offices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.submissions()) == 32
    for office in offices:
        assert [r.id for r in store.submissions(office)] == seen[office]  # each in its own order


def test_a_move_that_fails_after_the_commit_is_finished_on_the_next_open(
    tmp_path: Path, clock: Clock
) -> None:
    first = Store.open(tmp_path, clock=clock)
    office = one_office(first, "甲镇")
    folder = tmp_path / "inbox" / "甲镇"
    folder.rmdir()
    folder.write_text("a file where the office folder belongs")
    with pytest.raises(StoreError):
        submit(first, office, b"kept")
    first.close()
    folder.unlink()
    again = Store.open(tmp_path, clock=clock)
    [row] = again.submissions()
    assert (tmp_path / row.stored_path).read_bytes() == b"kept"
    assert (tmp_path / row.stored_path).stat().st_mtime == T0
    assert not any((tmp_path / ".incoming").iterdir())
    again.close()


def test_a_temp_file_with_no_row_is_removed_on_open(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    stray = tmp_path / ".incoming" / "left-by-a-crash"
    stray.mkdir()
    (stray / "data").write_bytes(b"half")
    (tmp_path / ".incoming" / "loose").write_bytes(b"half")
    Store.open(tmp_path).close()
    assert not any((tmp_path / ".incoming").iterdir())


# ---- settings and the login limit ----------------------------------------------------------------


def test_the_password_is_checked_and_kept(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    assert not store.has_password() and not store.check_password("")
    store.set_password("县政务公开办2026")
    assert store.has_password() and store.check_password("县政务公开办2026")
    assert not store.check_password("县政务公开办2025")
    store.close()
    assert b"\xe5\x8e\xbf\xe6\x94\xbf" not in b"".join(
        p.read_bytes() for p in tmp_path.glob("index*")
    )
    again = Store.open(tmp_path)
    assert again.check_password("县政务公开办2026")
    again.close()


def test_the_deadline_is_kept(store: Store) -> None:
    assert store.deadline() is None
    store.set_deadline("2027-01-15 17:00")
    assert store.deadline() == "2027-01-15 17:00"
    store.set_deadline(None)
    assert store.deadline() is None


def test_five_failures_lock_one_client_for_fifteen_minutes(tmp_path: Path, clock: Clock) -> None:
    store = Store.open(tmp_path, clock=clock)
    for _ in range(5):
        assert store.login_allowed("10.0.0.1")
        store.record_login_failure("10.0.0.1")
    assert not store.login_allowed("10.0.0.1") and store.login_allowed("10.0.0.2")
    store.close()
    store = Store.open(tmp_path, clock=clock)  # a restart does not reset it
    assert not store.login_allowed("10.0.0.1")
    clock.now += 14 * 60
    assert not store.login_allowed("10.0.0.1")
    clock.now += 61
    assert store.login_allowed("10.0.0.1")
    store.record_login_failure("10.0.0.1")
    store.clear_login_failures("10.0.0.1")
    assert store.login_allowed("10.0.0.1")
    store.close()


def test_a_hundred_failures_from_anywhere_lock_everyone(store: Store, clock: Clock) -> None:
    for n in range(100):
        assert store.login_allowed(f"10.1.{n // 250}.{n % 250}")
        store.record_login_failure(f"10.1.{n // 250}.{n % 250}")
        clock.now += 1
    assert not store.login_allowed("192.168.1.1")
    clock.now += 15 * 60 - 99
    assert store.login_allowed("192.168.1.1")


def test_a_second_store_on_the_same_folder_leaves_the_first_ones_temps(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    in_flight = tmp_path / ".incoming" / "a-submit-of-the-first-store"
    in_flight.mkdir()
    second = Store.open(tmp_path)
    assert in_flight.is_dir()  # not stale: the first store may be about to commit it
    second.close()
    first.close()
    Store.open(tmp_path).close()
    assert not in_flight.exists()
