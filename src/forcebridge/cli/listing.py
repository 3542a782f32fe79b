"""How a listing is laid out so that nothing a user copies is cut.

One renderer for every table the CLI prints. In a terminal a listing is a Rich table when its
columns fit the width without breaking a word; when they do not, columns with spaces in their
values wrap between words; when even that does not fit, each row is printed as a block of
`key: value` lines. Words (ids, URLs, API names, statuses) are never cut and never get an
ellipsis: a word longer than the line goes whole on a line of its own. Piped (not a terminal),
output is plain aligned columns without box drawing, never wrapped, so `grep` and `cut` see
complete lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Columns apart by two spaces, a rule under the header, no outer border: like `docker ps`,
# so more columns fit before a listing has to go vertical.
_GAP = 2


def cell(value: Any) -> str:
    """A value as it is shown: dates to the second, booleans as yes/no, lists space-separated."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return str(value)


def _text(value: Any) -> Text:
    """A cell as Rich text: given `Text` keeps its style; anything else is literal (a value
    holding `[red]` is data, not markup)."""
    return value if isinstance(value, Text) else Text(cell(value))


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


@dataclass
class Listing:
    """Rows to show under named columns; `right` columns are right-aligned (counts)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    title: str | None = None
    right: Sequence[str] = field(default_factory=tuple)
    header: bool = True

    def texts(self) -> list[list[Text]]:
        return [[_text(v) for v in row] for row in self.rows]


def widths(listing: Listing, available: int) -> list[int] | None:
    """Column widths that fit `available` characters of cell content without cutting a word;
    None when no such widths exist (then the listing goes vertical)."""
    texts = listing.texts()
    heads = listing.columns if listing.header else ["" for _ in listing.columns]
    natural = [len(c) for c in heads]
    least = [_longest_word(c) for c in heads]
    for row in texts:
        for i, text in enumerate(row):
            lines = text.plain.splitlines() or [""]
            natural[i] = max(natural[i], *(len(line) for line in lines))
            least[i] = max(least[i], _longest_word(text.plain))
    if sum(natural) <= available:
        return natural
    if sum(least) > available:
        return None
    # share what is left between the columns that wrap, by how much each would like
    spare = available - sum(least)
    wish = [n - m for n, m in zip(natural, least, strict=True)]
    total = sum(wish) or 1
    out = [m + (w * spare) // total for m, w in zip(least, wish, strict=True)]
    return out


def _table_width(n_columns: int) -> int:
    return _GAP * (n_columns - 1)


def render(console: Console, listing: Listing) -> None:
    """Print a listing on `console` in the layout that fits (see the module docstring)."""
    if not console.is_terminal:
        _plain(console, listing)
        return
    available = console.width - _table_width(len(listing.columns))
    found = widths(listing, available) if listing.columns else None
    if found is None:
        _vertical(console, listing)
        return
    if listing.title:
        # above the table, not in it: a table's title wraps to the table's width
        console.print(Text.from_markup(listing.title, style="bold"), highlight=False)
    table = Table(
        box=box.SIMPLE_HEAD, padding=(0, 0, 0, _GAP - 1), pad_edge=False, show_edge=False,
        show_header=listing.header,
    )
    for name, width in zip(listing.columns, found, strict=True):
        table.add_column(
            name, width=width, overflow="fold",
            justify="right" if name in listing.right else "left",
        )  # fmt: skip
    for row in listing.texts():
        table.add_row(*row)
    console.print(table)


def _vertical(console: Console, listing: Listing) -> None:
    """Each row as `key: value` lines, rows apart by a blank line."""
    if listing.title:
        console.print(Text.from_markup(listing.title, style="bold"), highlight=False)
    for n, row in enumerate(listing.texts()):
        if n:
            console.print()
        fields(console, dict(zip(listing.columns, row, strict=True)))


def fields(console: Console, row: dict[str, Any]) -> None:
    """One record as `key: value` lines, keys verbatim (API names stay `External_Id__c`).

    Values wrap between words under their key's indent; a word too long for the line (a URL,
    a long id) is printed whole on a line of its own from the first column, so it can be
    copied in one piece."""
    if not row:
        return
    indent = max(len(k) for k in row) + 2
    room = console.width - indent if console.is_terminal else None
    for key, value in row.items():
        head: Text | None = Text.assemble((f"{key}:", "bold"), " " * (indent - len(key) - 1))
        for line, alone in _wrap(_text(value), room):
            if alone:
                if head is not None:
                    _line(console, head)
                _line(console, line)
            else:
                _line(console, (head or Text(" " * indent)) + line)
            head = None
        if head is not None:
            _line(console, head)


def _line(console: Console, text: Text) -> None:
    console.print(text, soft_wrap=True, highlight=False)


def _wrap(text: Text, room: int | None) -> list[tuple[Text, bool]]:
    """`text` as lines of at most `room` characters broken between words (None: no limit);
    a word longer than `room` is a line of its own, flagged to start at column 0."""
    plain = text.plain
    if room is None or ("\n" not in plain and len(plain) <= room):
        return [(text, False)]
    room = max(room, 1)
    lines: list[tuple[Text, bool]] = []
    offset = 0
    for raw in plain.split("\n"):
        spans: list[tuple[int, int]] = []
        length = 0
        for word_start, word in _words(raw, offset):
            end = word_start + len(word)
            if spans and length + 1 + len(word) > room:
                lines.append((text[spans[0][0] : spans[-1][1]], False))
                spans, length = [], 0
            if not spans and len(word) > room:
                lines.append((text[word_start:end], True))
                continue
            length += len(word) + (1 if spans else 0)
            spans.append((word_start, end))
        if spans:
            lines.append((text[spans[0][0] : spans[-1][1]], False))
        offset += len(raw) + 1
    return lines or [(Text(""), False)]


def _words(line: str, offset: int) -> list[tuple[int, str]]:
    out, position = [], offset
    for word in line.split(" "):
        if word:
            out.append((position, word))
        position += len(word) + 1
    return out


def _plain(console: Console, listing: Listing) -> None:
    """Aligned columns, no box, no wrapping: complete lines for a pipe."""
    rows = [[" ".join(t.plain.split()) for t in row] for row in listing.texts()]
    sizes = [len(c) for c in listing.columns]
    for row in rows:
        sizes = [max(s, len(v)) for s, v in zip(sizes, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        padded = [
            v.rjust(s) if c in listing.right else v.ljust(s)
            for c, v, s in zip(listing.columns, values, sizes, strict=True)
        ]
        return "  ".join(padded).rstrip()

    if listing.title:
        console.print(Text.from_markup(listing.title).plain, soft_wrap=True, markup=False,
                      highlight=False)
    if listing.header:
        console.print(line(listing.columns), soft_wrap=True, markup=False, highlight=False)
    for row in rows:
        console.print(line(row), soft_wrap=True, markup=False, highlight=False)
