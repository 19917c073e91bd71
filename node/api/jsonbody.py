"""One strict reading of JSON request bodies, for every route of the API.

FastAPI reads a JSON body with ``json.loads``, which takes invalid UTF-8 as a 400 in another shape, lets a repeated
member name silently replace the first, reads ``NaN`` and ``1e999``, keeps a lone UTF-16 surrogate (``"\\ud800"``) that
later fails to encode (a 500), and recurses once per nesting level: the node's dependencies raise the interpreter's
recursion limit to 100,000, so a 100 KB body of ``[`` overflows the C stack and kills the process. Here:

* :func:`loads_strict` reads a body as UTF-8 JSON or raises ``json.JSONDecodeError`` (FastAPI and the node's handler
  turn that into a 422 ``ValidationFailedError`` naming the rule ``json_invalid``): nesting at most
  :data:`MAX_DEPTH` levels (checked before parsing, without recursion), member names unique in every object, numbers
  finite, no lone surrogate.
* :class:`StrictJsonRoute` is the route class of every router: its requests parse JSON with :func:`loads_strict`, in a
  worker thread when the body is large (the event loop keeps serving other requests meanwhile).
* :func:`batch_items` splits ``{"bundles": [...]}`` into each item's own JSON text without judging the items, so the
  verifier reads every bundle itself, strictly (a repeated member inside a bundle is that bundle's verdict).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from node.api.errors import request_problems
from node.errors import ValidationFailedError

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects read (a credential bundle nests about 6 levels, a batch of them 8)."""

INLINE_PARSE_BYTES = 8 * 1024
"""Bodies up to this size are parsed on the event loop (tens of microseconds); larger ones in a worker thread."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_TEXT = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = "a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair): not Unicode"
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _refuse(reason: str, doc: str = "", pos: int = 0) -> json.JSONDecodeError:
    return json.JSONDecodeError(reason, doc, pos)


def _within_depth_pattern(limit: int) -> re.Pattern[bytes]:
    """Balanced parentheses nested at most ``limit`` deep. Possessive repeats: linear, no backtracking, and the
    regex engine keeps its state on the heap (no recursion)."""
    pattern = ""
    for _ in range(limit):
        pattern = r"(?:\(" + pattern + r"\))*+"
    return re.compile(pattern.encode())


_WITHIN_DEPTH = _within_depth_pattern(MAX_DEPTH)
_TO_PARENS = bytes.maketrans(b"[{]}", b"(())")
_CHUNK = 64 * 1024
_LENIENT = json.JSONDecoder()
"""Finds where an item ends (or whether text holds a lone surrogate); what the text says is its reader's to judge."""


def nesting_within(data: bytes) -> bool:
    """True when no array or object of the JSON text ``data`` sits more than :data:`MAX_DEPTH` levels deep. (Text
    whose brackets do not pair up may get either answer: it is not JSON, and its parser refuses it.) No recursion,
    linear: strings are blanked, the brackets kept as parentheses, and each 64 KiB of them matched from the depth the
    previous part ended at (the interpreter lock is released between parts, so a worker thread checking a large body
    does not hold up the event loop)."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return True
    parens = _STRING.sub(b"", data).translate(_TO_PARENS, _NOT_BRACKET)
    depth = 0
    for start in range(0, len(parens), _CHUNK):
        part = parens[start : start + _CHUNK]
        end = depth + part.count(b"(") - part.count(b")")
        if end < 0 or _WITHIN_DEPTH.fullmatch(b"(" * depth + part + b")" * end) is None:
            return False
        depth = end
    return depth == 0


def _skip(text: str, i: int) -> int:
    match = _WHITESPACE.match(text, i)
    return match.end() if match else i


def decode_utf8(data: bytes) -> str:
    """The body as text; ``json.JSONDecodeError`` naming the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(f"the body is not UTF-8 text (byte {exc.start} is invalid)", "", exc.start) from None


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _refuse(f"the member name {name[:60]!r} appears twice in one object; give each member once")
            seen.add(name)
    return members


def _no_constant(name: str) -> Any:
    raise _refuse(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _refuse(f"the number {text[:40]} is too large for a double")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_STRICT = json.JSONDecoder(object_pairs_hook=_unique_members, parse_constant=_no_constant, parse_float=_finite)


def _decode(decoder: json.JSONDecoder, text: str, i: int) -> tuple[Any, int]:
    """One JSON value of ``text`` from ``i`` (and where it ends); any failure is a ``json.JSONDecodeError``."""
    try:
        value, end = decoder.raw_decode(text, i)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise _refuse(f"a value cannot be read ({exc})", text, i) from None
    return value, int(end)


def _strict_value(text: str, i: int, where: str = "") -> tuple[Any, int]:
    """A value read strictly (each member name once, finite numbers, no lone surrogate); nesting checked before."""
    value, end = _decode(_STRICT, text, i)
    if _SURROGATE_ESCAPE_TEXT.search(text, i, end) and _has_lone_surrogate(value):
        raise _refuse(f"{where}{_LONE_SURROGATE}", text, i)
    return value, end


def _check_nesting(data: bytes) -> None:
    if not nesting_within(data):
        raise _refuse(f"arrays and objects nest more than {MAX_DEPTH} levels deep, or their brackets do not pair up")


def loads_strict(data: bytes) -> Any:
    """Parse a request body strictly (see the module docstring); ``json.JSONDecodeError`` says what is wrong."""
    text = decode_utf8(data)
    _check_nesting(data)
    value, end = _strict_value(text, _skip(text, 0))
    if _skip(text, end) != len(text):
        raise _refuse("extra data after the JSON value", text, end)
    return value


def _shape(kind: str, message: str, *where: str) -> ValidationFailedError:
    return ValidationFailedError(request_problems([{"type": kind, "loc": ("body", *where), "msg": message}]))


def object_text(data: bytes) -> None:
    """Check, without parsing it, that ``data`` may be a JSON object for someone else to read strictly: it starts
    with ``{``, nests at most :data:`MAX_DEPTH` levels (so no reader of it can be made to recurse without bound) and
    has no lone UTF-16 surrogate. (A number too long for ``int()`` is the bundle reader's to refuse, with a verdict.)
    ``ValidationFailedError`` when it is not an object, ``json.JSONDecodeError`` for the rest."""
    if data.lstrip(b" \t\n\r")[:1] != b"{":
        raise _shape("model_type", "Input should be a JSON object (a credential bundle starts with '{')")
    _check_nesting(data)
    if _SURROGATE_ESCAPE.search(data):
        _no_lone_surrogate(data.decode("utf-8", "replace"))


def _no_lone_surrogate(text: str, where: str = "") -> None:
    """Refuse JSON text that decodes to a string no UTF-8 can carry (text that is not JSON is its reader's to judge)."""
    try:
        value = _LENIENT.decode(text)
    except (ValueError, RecursionError):
        return
    if _has_lone_surrogate(value):
        raise _refuse(f"{where}{_LONE_SURROGATE}")


def body_refusal(exc: json.JSONDecodeError) -> ValidationFailedError:
    """The node's 422 for a body that is not JSON it reads (the same sentence FastAPI's parse errors get)."""
    return ValidationFailedError(request_problems([{"type": "json_invalid", "ctx": {"error": exc.msg}}]))


# --- a batch: the outer object strictly, each item as its own text -----------------------------------------------


def _items(text: str, i: int, name: str, max_items: int, too_many: str) -> tuple[list[str], int]:
    if text[i : i + 1] != "[":
        raise _shape("list_type", "Input should be a valid list", name)
    items: list[str] = []
    i = _skip(text, i + 1)
    if text[i : i + 1] == "]":
        return items, i + 1
    while True:
        value, end = _decode(_LENIENT, text, i)  # lenient: what the item says is for its reader to judge
        if _SURROGATE_ESCAPE_TEXT.search(text, i, end) and _has_lone_surrogate(value):
            raise _refuse(f"/{name}/{len(items)}: {_LONE_SURROGATE}", text, i)
        items.append(text[i:end])
        if len(items) > max_items:
            raise ValidationFailedError(too_many)
        i = _skip(text, end)
        if text[i : i + 1] == "]":
            return items, i + 1
        if text[i : i + 1] != ",":
            raise _refuse("expected ',' or ']' after an array item", text, i)
        i = _skip(text, i + 1)


def batch_items(data: bytes, name: str, max_items: int, too_many: str) -> list[str]:
    """The JSON text of each item of the array member ``name`` of a JSON object body, in order.

    The outer object is read strictly (UTF-8, nesting, each member name once, ``name`` required); other members are
    read past and ignored. More than ``max_items`` items raise ``ValidationFailedError(too_many)`` as soon as the
    next one is seen. Errors: ``json.JSONDecodeError`` for text that is not JSON, ``ValidationFailedError`` for JSON
    of the wrong shape."""
    text = decode_utf8(data)
    _check_nesting(data)
    i = _skip(text, 0)
    if text[i : i + 1] != "{":
        raise _shape("model_type", f"Input should be a JSON object with a '{name}' array")
    found: list[str] | None = None
    seen: set[str] = set()
    i = _skip(text, i + 1)
    closed = text[i : i + 1] == "}"
    i += closed
    while not closed:
        if text[i : i + 1] != '"':
            raise _refuse("expected a member name in double quotes", text, i)
        key, i = _strict_value(text, i)
        if key in seen:
            raise _refuse(f"the member name {str(key)[:60]!r} appears twice in one object; give each member once")
        seen.add(key)
        i = _skip(text, i)
        if text[i : i + 1] != ":":
            raise _refuse("expected ':' after a member name", text, i)
        i = _skip(text, i + 1)
        if key == name:
            found, i = _items(text, i, name, max_items, too_many)
        else:
            i = _strict_value(text, i, f"/{str(key)[:60]}: ")[1]
        i = _skip(text, i)
        closed = text[i : i + 1] == "}"
        if not closed and text[i : i + 1] != ",":
            raise _refuse("expected ',' or '}' after a member", text, i)
        i = _skip(text, i + 1)
    if _skip(text, i) != len(text):
        raise _refuse("extra data after the JSON object", text, i)
    if found is None:
        raise _shape("missing", "Field required", name)
    return found


# --- the route class ----------------------------------------------------------------------------------------------


class StrictJsonRequest(Request):
    """A request whose ``json()`` is :func:`loads_strict`, in a worker thread for a body over a few KB."""

    async def json(self) -> Any:
        if not hasattr(self, "_strict_json"):
            body = await self.body()
            if len(body) <= INLINE_PARSE_BYTES:
                self._strict_json = loads_strict(body)
            else:
                self._strict_json = await run_in_threadpool(loads_strict, body)
        return self._strict_json


class StrictJsonRoute(APIRoute):
    """The route class of every router of the node: JSON bodies are read by :func:`loads_strict`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
