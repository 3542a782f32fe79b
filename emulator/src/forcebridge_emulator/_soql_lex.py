"""SOQL's lexical layer: tokens with their offsets, string escapes, and the error shape.

Kept apart from the grammar (`soql_parse.py`) because binding needs the same two things:
decoding a string literal per context (LIKE keeps `\\%`), and `query_error`, the Salesforce
shape of every query refusal: the offending row, a caret under the column, the position, why
(recorded in CumulusCI's TestCountSObjects cassette).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal as TypingLiteral

from forcebridge_emulator._errors import ApiError

_ESCAPES = {
    "n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t",
    "b": "\b", "B": "\b", "f": "\f", "F": "\f", '"': '"', "'": "'", "\\": "\\",
}  # fmt: skip
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})", re.IGNORECASE
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:])")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?![\w.])")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCT = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA", ".": "DOT", ":": "COLON"}

TokenKind = TypingLiteral[
    "IDENT", "STRING", "NUMBER", "DATE", "DATETIME", "OP",
    "LPAREN", "RPAREN", "COMMA", "DOT", "COLON", "ERROR", "BADSTRING", "EOF",
]  # fmt: skip


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # the source text (for STRING: the raw body between the quotes)
    pos: int  # offset in the query

    def is_word(self, word: str) -> bool:
        return self.kind == "IDENT" and self.text.lower() == word


# ---- errors ---------------------------------------------------------------------------------


def query_error(error_code: str, soql: str, pos: int, message: str) -> ApiError:
    """The Salesforce shape: the offending row, a caret under the column, the position, why.

    Query errors carry no `fields` key (see the INVALID_TYPE body in the CumulusCI cassette).
    """
    line_start = soql.rfind("\n", 0, pos) + 1
    line_end = soql.find("\n", pos)
    line = soql[line_start : line_end if line_end >= 0 else len(soql)].rstrip("\r")
    row = soql.count("\n", 0, pos) + 1
    col = pos - line_start + 1
    text = f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{message}"
    return ApiError(400, error_code, text)


def unexpected(soql: str, tok: Token) -> ApiError:
    if tok.kind == "BADSTRING":
        # The lexer ran off the end still expecting the closing quote.
        end = len(soql)
        row = soql.count("\n", 0, end) + 1
        col0 = end - (soql.rfind("\n", 0, end) + 1)
        msg = f"line {row}:{col0} mismatched character '<EOF>' expecting '''"
        return query_error("MALFORMED_QUERY", soql, end, msg)
    shown = "<EOF>" if tok.kind == "EOF" else tok.text
    if tok.kind == "STRING":
        shown = f"'{tok.text}'"
    return query_error("MALFORMED_QUERY", soql, tok.pos, f"unexpected token: '{shown}'")


# ---- lexer ----------------------------------------------------------------------------------


def tokenize(soql: str) -> list[Token]:
    """Split into tokens; characters outside the grammar become ERROR tokens so the parser
    reports them where they stand, like Salesforce's `unexpected token: '@'`."""
    out: list[Token] = []
    i, n = 0, len(soql)
    while i < n:
        c = soql[i]
        if c.isspace():
            i += 1
            continue
        if c == "'":
            tok = _string_token(soql, i)
            out.append(tok)
            if tok.kind == "BADSTRING":
                break
            i = tok.pos + len(tok.text) + 2
            continue
        m = _DATETIME_RE.match(soql, i) or _DATE_RE.match(soql, i)
        if m:
            out.append(Token("DATETIME" if "T" in m.group().upper() else "DATE", m.group(), i))
            i = m.end()
            continue
        m = _NUMBER_RE.match(soql, i)
        if m:
            out.append(Token("NUMBER", m.group(), i))
            i = m.end()
            continue
        m = _IDENT_RE.match(soql, i)
        if m:
            out.append(Token("IDENT", m.group(), i))
            i = m.end()
            continue
        op = next((o for o in _OPERATORS if soql.startswith(o, i)), None)
        if op:
            out.append(Token("OP", op, i))
            i += len(op)
            continue
        if c in _PUNCT:
            out.append(Token(_PUNCT[c], c, i))  # type: ignore[arg-type]
        else:
            out.append(Token("ERROR", c, i))
        i += 1
    out.append(Token("EOF", "", n))
    return out


def _string_token(soql: str, start: int) -> Token:
    """A quoted string; the body keeps its escapes (decoded later, per context)."""
    i = start + 1
    while i < len(soql):
        c = soql[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            return Token("STRING", soql[start + 1 : i], start)
        i += 1
    return Token("BADSTRING", soql[start:], start)  # unterminated


def decode_string(soql: str, raw: str, pos: int, *, like: bool = False) -> str:
    """The text of a string literal whose body `raw` starts after the quote at `pos`. With `like`, the result is a LIKE pattern in which an
    escaped `%`/`_` stays escaped (`\\%`), so the matcher can tell it from a wildcard.

    Escapes per Salesforce's "Quoted String Escape Sequences": \\n \\r \\t \\b \\f (either case),
    \\" \\' \\\\, \\uXXXX, and \\% \\_ in LIKE only; any other backslash is an error.
    """
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        if nxt in _ESCAPES:
            ch = _ESCAPES[nxt]
            out.append("\\\\" if like and ch == "\\" else ch)
            i += 2
        elif nxt in ("%", "_") and like:
            out.append("\\" + nxt)
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", raw[i + 2 : i + 6]):
            ch = chr(int(raw[i + 2 : i + 6], 16))
            out.append("\\" + ch if like and ch in "%_\\" else ch)
            i += 6
        else:
            seq = raw[i : i + 2]
            raise query_error(
                "MALFORMED_QUERY",
                soql,
                pos + 1 + i,
                f"Invalid string literal '{raw}'. Illegal character sequence '{seq}' in string "
                "literal.",
            )
    return "".join(out)
