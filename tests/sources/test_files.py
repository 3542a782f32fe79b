"""CSV and JSONL sources on temporary files, including malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcebridge.sources import CsvSource, CsvSourceSpec, JsonlSource, JsonlSourceSpec, SourceError


def csv_source(path: Path, **kw: object) -> CsvSource:
    spec = {"name": "files", "path": path.name, "key_column": "id", **kw}
    return CsvSource(CsvSourceSpec.model_validate(spec), path)


def jsonl_source(path: Path, **kw: object) -> JsonlSource:
    spec = {"name": "files", "path": path.name, "key_column": "id", **kw}
    return JsonlSource(JsonlSourceSpec.model_validate(spec), path)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


# --- CSV ----------------------------------------------------------------------------------

def test_csv_records_in_batches(tmp_path: Path) -> None:
    rows = "".join(f"{i},A-{i % 2},Name {i}\r\n" for i in range(1, 8))
    path = write(tmp_path, "c.csv", "id,account,name\r\n" + rows)
    batches = list(csv_source(path, account_column="account").batches(3))
    assert [len(b) for b in batches] == [3, 3, 1]
    first = batches[0][0]
    assert (first.key, first.account_id, first.line) == ("1", "A-1", 2)
    assert first.values == {"id": "1", "account": "A-1", "name": "Name 1"}


def test_csv_quoting_multiline_bom_and_blank_lines(tmp_path: Path) -> None:
    text = '\ufeffid,note,empty\n1,"hello, ""world""",\n\n2,"two\nlines",x\n3,plain,\n'
    records = [r for b in csv_source(write(tmp_path, "q.csv", text)).batches() for r in b]
    assert [r.key for r in records] == ["1", "2", "3"]
    assert records[0].values == {"id": "1", "note": 'hello, "world"', "empty": None}
    assert records[1].values["note"] == "two\nlines"
    assert [r.line for r in records] == [2, 4, 6]  # the line each record starts on


def test_csv_empty_cells_kept_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "id,a\n1,\n")
    record = next(iter(csv_source(path, empty_as_null=False).batches()))[0]
    assert record.values == {"id": "1", "a": ""}


def test_csv_delimiter_and_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "id;name\n1;Müller\n".encode("latin-1"))
    records = next(iter(csv_source(path, delimiter=";", encoding="latin-1").batches()))
    assert records[0].values["name"] == "Müller"


def test_csv_blank_key_is_left_to_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "k.csv", "id,name\n ,x\n")
    assert next(iter(csv_source(path).batches()))[0].key is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\n1,a\n2,b,c\n", r"malformed CSV line 3: 3 fields, the header has 2"),
        ("id,name\n1,a\n2\n", r"malformed CSV line 3: 1 fields"),
        ('id,name\n1,"a"b\n', r"malformed CSV line 2: .*"),
        ('id,name\n1,a\n2,"never closed\n', r"malformed CSV line 3: unexpected end of data"),
        ("", "empty file, no header row"),
        ("name,account\nx,y\n", r"no key column 'id' in the header \(columns: name, account\)"),
        ("id,name,name\n1,a,b\n", r"duplicate columns in the header: \['name'\]"),
    ],
)
def test_csv_malformed(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(SourceError, match=message) as info:
        list(csv_source(path).batches())
    assert f"CSV file {path.name} of data source 'files'" in info.value.message


def test_csv_missing_account_column_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id\n1\n")
    with pytest.raises(SourceError, match="no account-id column 'acct'"):
        list(csv_source(path, account_column="acct").batches())
    with pytest.raises(SourceError, match=r"nothing.csv of data source 'files': cannot open: No such file"):
        list(csv_source(tmp_path / "nothing.csv").batches())


def test_csv_bad_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", b"id,name\n1,ok\n2,\xff\xfe\n")
    with pytest.raises(SourceError, match="not utf-8-sig text near line"):
        list(csv_source(path).batches())


# --- JSONL --------------------------------------------------------------------------------

def test_jsonl_records(tmp_path: Path) -> None:
    text = '{"id": 1, "account": 7, "name": "A", "tags": ["x"]}\n\n{"id": "K-2", "name": null}\n'
    batches = list(jsonl_source(write(tmp_path, "r.jsonl", text), account_column="account")
                   .batches(1))
    assert len(batches) == 2
    first, second = batches[0][0], batches[1][0]
    assert (first.key, first.account_id, first.line) == ("1", "7", 1)
    assert first.values == {"id": 1, "account": 7, "name": "A", "tags": ["x"]}
    assert (second.key, second.account_id, second.line) == ("K-2", None, 3)


def test_jsonl_missing_key_is_left_to_mapping(tmp_path: Path) -> None:
    record = next(iter(jsonl_source(write(tmp_path, "m.jsonl", '{"name": "x"}\n')).batches()))[0]
    assert record.key is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": 1}\n{"id": 2,,}\n', "bad JSON on line 2"),
        ('{"id": 1}\n\n{"id": 3\n', "bad JSON on line 3"),
        ('{"id": 1}\n[1, 2]\n', "line 2 is list, not a JSON object"),
        ('"text"\n', "line 1 is str, not a JSON object"),
        (b'{"id": "\xff"}\n', "bad JSON on line 1"),
    ],
)
def test_jsonl_malformed(tmp_path: Path, text: str | bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        list(jsonl_source(write(tmp_path, "bad.jsonl", text)).batches())


def test_jsonl_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot open"):
        list(jsonl_source(tmp_path / "none.jsonl").batches())


def test_records_before_a_bad_line_were_already_yielded(tmp_path: Path) -> None:
    """Streaming: the bad line is found when reached, so callers must not act on partial reads
    (mirror mode deletes only after the source finished; see sync.diff.Differ.finish)."""
    path = write(tmp_path, "p.jsonl", '{"id": 1}\n{"id": 2}\nnot json\n')
    batches = jsonl_source(path).batches(1)
    assert next(batches)[0].key == "1"
    assert next(batches)[0].key == "2"
    with pytest.raises(SourceError, match="line 3"):
        next(batches)


def test_columns(tmp_path: Path) -> None:
    assert csv_source(write(tmp_path, "h.csv", "id,name\n1,a\n")).columns() == ["id", "name"]
    assert csv_source(write(tmp_path, "o.csv", "id,name\n")).columns() == ["id", "name"]
    with pytest.raises(SourceError, match="no key column"):
        csv_source(write(tmp_path, "n.csv", "name\n")).columns()
    assert jsonl_source(write(tmp_path, "j.jsonl", '{"id": 1}\n')).columns() is None
