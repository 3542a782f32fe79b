"""The listing renderer on its own: what fits, what folds, what goes vertical, what a pipe gets."""

from __future__ import annotations

import io
import re

from rich.console import Console

from forcebridge.cli.listing import Listing, fields, render

URL = "https://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id=" + "x" * 60
ID = "6de480a1b2c3d4e5f60718293a4b5c6d"


def _shown(listing: Listing | None = None, *, row: dict[str, object] | None = None,
           terminal: bool = True, width: int = 80) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=width, color_system=None)
    if listing is not None:
        render(console, listing)
    else:
        assert row is not None
        fields(console, row)
    return out.getvalue()


def _lines_fit(text: str, width: int) -> bool:
    return all(len(line) <= width for line in text.splitlines() if not line.startswith("http"))


def test_a_narrow_listing_is_a_table_with_every_value_whole() -> None:
    text = _shown(Listing(("id", "name", "status"), [[ID, "Salesforce prod", "authorized"]]))
    assert "─" in text and ID in text and "Salesforce prod" in text and "authorized" in text
    assert _lines_fit(text, 80) and "…" not in text


def test_values_with_spaces_wrap_between_words_and_words_stay_whole() -> None:
    message = " ".join(["REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]"] * 3)
    text = _shown(Listing(("id", "message"), [[ID, message]]))
    assert ID in text and _lines_fit(text, 80) and "…" not in text
    words = set(re.findall(r"\S+", text))
    assert {"REQUIRED_FIELD_MISSING:", "[LastName]"} <= words


def test_too_wide_goes_vertical_with_api_names_verbatim() -> None:
    columns = ("External_Id__c", "acme__Billing_Currency__c", "Id", "acme__Account_Id__c")
    row = ["A-0001", "EUR", "001000000000001AAA", "ACC-0000000001"]
    text = _shown(Listing(columns, [row, row]), width=40)
    assert "External_Id__c:" in text and "acme__Billing_Currency__c:" in text
    assert "External Id  c" not in text and _lines_fit(text, 40)


def test_a_long_url_is_printed_whole_on_a_line_of_its_own() -> None:
    text = _shown(row={"status": "draft", "authorization_url": URL})
    assert URL in text.splitlines()


def test_piped_output_is_plain_and_complete() -> None:
    message = "a long reason " * 20
    text = _shown(Listing(("id", "message"), [[ID, message], ["short", "x"]], title="[red]t[/red]"),
                  terminal=False)
    assert not set("─│╭╰") & set(text)
    lines = text.splitlines()
    assert lines[0] == "t" and lines[1].split() == ["id", "message"]
    assert lines[2] == f"{ID}  {message.strip()}"
    assert lines[3].split() == ["short", "x"]


def test_markup_in_a_value_is_printed_as_it_is() -> None:
    text = _shown(Listing(("name",), [["[red]not markup[/red]"]]))
    assert "[red]not markup[/red]" in text
