"""Each API route declares its body schema and query parameters once: the same declaration
validates requests and writes the OpenAPI document, so the two cannot drift apart."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, Flask, g, request
from pydantic import BaseModel

from ..domain.errors import InvalidInput
from ..http import RECORD_ID_MAX, json_body
from .openapi import Media, Model, render_document, request_schema


@dataclass(frozen=True)
class Param:
    """A query parameter: its name, schema (with its allowed values and default) and meaning."""

    name: str
    schema: dict[str, Any]
    zh: str
    en: str
    required: bool = False

    @property
    def description(self) -> str:
        return f"{self.zh} / {self.en}"


# A retry that sends the same key gets the same answer (issuing a ticket, calling the next).
IDEMPOTENCY_KEY = Param(
    "Idempotency-Key",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
    "8 到 64 个字母、数字、- 或 _；重试时发送同一键，得到同一结果（不会重复取号或叫号）",
    "8 to 64 letters, digits, - or _; send the same key on a retry to get the same result "
    "(no second ticket or call)",
)

# A day written as 2026-11-27, in the years the halls' calendars and reports can speak of.
FIRST_YEAR, LAST_YEAR = 2000, 2099
DATE: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "description": f"{FIRST_YEAR}-01-01 … {LAST_YEAR}-12-31",
}


@dataclass
class Operation:
    """One documented API operation."""

    method: str
    rule: str
    summary: str
    body: dict[str, Any] | None
    auth: str
    status: int
    responses: set[int] = field(default_factory=set)
    query: tuple[Param, ...] = ()
    returns: Model | None = None
    media: tuple[Media, ...] = ()
    body_model: Model | None = None
    headers: tuple[Param, ...] = ()
    only_media: bool = False


OPERATIONS: list[Operation] = []


def documented(
    bp: Blueprint,
    method: str,
    rule: str,
    summary: str,
    *,
    body: dict[str, Any] | Model | None = None,
    auth: str = "public",
    status: int = 200,
    errors: tuple[int, ...] = (),
    query: tuple[Param, ...] = (),
    returns: Model | None = None,
    media: tuple[Media, ...] = (),
    headers: tuple[Param, ...] = (),
    only_media: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route on the blueprint and describe it for the OpenAPI document: `body` the
    JSON it accepts (a model, or a schema), `returns` the model of what it answers with
    `status`, `media` what it answers that is not JSON (a picture, a calendar, a table), and
    `only_media` when it never answers JSON."""
    body_model = body if isinstance(body, type) and issubclass(body, BaseModel) else None
    schema: dict[str, Any] | None = (
        request_schema(body_model) if body_model is not None else body  # type: ignore[assignment]
    )

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        responses = {status, *ALWAYS, *errors}
        if schema is not None:
            responses |= {400, 413, 422}
        if query:
            responses.add(422)
        if auth != "public":
            responses |= {401, 403}
        if any(kind != "int" for kind, _ in _PARAM.findall(rule)):
            responses.add(404)
        OPERATIONS.append(
            Operation(
                method,
                rule,
                summary,
                schema,
                auth,
                status,
                responses,
                tuple(query),
                returns,
                media,
                body_model,
                tuple(headers),
                only_media,
            )
        )

        @functools.wraps(view)
        def checked(**kwargs: Any) -> Any:
            g.query = query_values(query)
            data = json_body()
            if schema is not None:
                validate(schema, data)
            g.body = data
            return view(**kwargs)

        bp.add_url_rule(rule, view_func=checked, methods=[method], endpoint=view.__name__)
        return view

    return decorator


# -- validation ------------------------------------------------------------------------------


def query_values(params: tuple[Param, ...]) -> dict[str, Any]:
    """The declared query parameters of this request, checked and typed; absent ones (or empty)
    take their default. Parameters nobody declared are ignored (a cache-buster, say)."""
    values: dict[str, Any] = {}
    for param in params:
        raw = request.args.get(param.name, "")
        if raw == "":
            if param.required:
                raise InvalidInput(
                    f"缺少参数 {param.name}（{param.zh}）", f"Missing query parameter {param.name}"
                )
            values[param.name] = param.schema.get("default")
            continue
        values[param.name] = query_value(param, raw)
    return values


def query_value(param: Param, raw: str) -> Any:
    """One query parameter's text as its declared type, or a bilingual refusal."""
    name, schema = param.name, param.schema
    kind = schema.get("type", "string")
    value: Any = raw
    if kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", raw):
            raise InvalidInput(f"参数 {name} 须为整数", f"Parameter {name} must be a whole number")
        value = int(raw)
    validate(schema, value, name, noun="参数")
    if schema.get("format") == "date":
        return query_date(name, raw)
    return value


def query_date(name: str, raw: str) -> date:
    """A day written as 2026-11-27 within the years the halls' calendars can speak of."""
    try:
        day = date.fromisoformat(raw) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(
            f"参数 {name} 须为日期，如 2026-11-27",
            f"Parameter {name} must be a date such as 2026-11-27",
        )
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            f"参数 {name} 须在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间",
            f"Parameter {name} must be a date from {FIRST_YEAR} to {LAST_YEAR}",
        )
    return day


def query() -> Mapping[str, Any]:
    """The validated query parameters of this request, by name (only the declared ones)."""
    return g.query


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def validate(schema: dict[str, Any], value: Any, where: str = "body", noun: str = "字段") -> None:
    """Check a value against the small JSON-schema subset our routes use (`noun`: 字段 for a body
    field, 参数 for a query parameter; field, parameter in the English one, so that the message
    starts as a sentence and the name keeps its spelling: "Parameter by must be one of …")."""
    named = f"{'Parameter' if noun == '参数' else 'Field'} {where}"
    if "oneOf" in schema:
        for option in schema["oneOf"]:
            try:
                validate(option, value, where, noun)
                return
            except InvalidInput:
                continue
        raise InvalidInput(f"{noun} {where} 的值无效", f"{named} has an invalid value")
    if value is None:
        if schema.get("nullable"):
            return
        raise InvalidInput(f"{noun} {where} 不能为空", f"{named} must not be null")
    kind = schema.get("type")
    if kind:
        allowed = _TYPES[kind]
        if isinstance(value, bool) and kind in ("integer", "number"):
            allowed = ()
        if not isinstance(value, allowed):
            raise InvalidInput(
                f"{noun} {where} 的类型应为 {kind}", f"{named} must be of type {kind}"
            )
    if "enum" in schema and value not in schema["enum"]:
        allowed_values = [v for v in schema["enum"] if v is not None]  # null: see nullable
        options = ", ".join(str(v) for v in allowed_values)
        ascii_options = ", ".join(str(v) for v in allowed_values if str(v).isascii())
        raise InvalidInput(
            f"{noun} {where} 须为以下之一：{options}", f"{named} must be one of: {ascii_options}"
        )
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", 10_000):
            raise InvalidInput(
                f"{noun} {where} 过长（最多 {schema.get('maxLength')} 字）",
                f"{named} is too long (at most {schema.get('maxLength')} characters)",
            )
        if len(value) < schema.get("minLength", 0):
            raise InvalidInput(f"{noun} {where} 不能为空", f"{named} must not be empty")
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            raise InvalidInput(f"{noun} {where} 格式不正确", f"{named} has the wrong format")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, int) and abs(value) > RECORD_ID_MAX and "maximum" not in schema:
            # Every whole number we store fits 32 bits; a larger one is nothing we know of.
            raise InvalidInput(f"{noun} {where} 的数值超出范围", f"{named} is out of range")
        if "minimum" in schema and value < schema["minimum"]:
            raise InvalidInput(
                f"{noun} {where} 不能小于 {schema['minimum']}",
                f"{named} must be at least {schema['minimum']}",
            )
        if "maximum" in schema and value > schema["maximum"]:
            raise InvalidInput(
                f"{noun} {where} 不能大于 {schema['maximum']}",
                f"{named} must be at most {schema['maximum']}",
            )
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", 1000):
            raise InvalidInput(f"{noun} {where} 项目过多", f"{named} has too many entries")
        for index, item in enumerate(value):
            validate(schema.get("items", {}), item, f"{where}[{index}]", noun)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise InvalidInput(f"缺少字段 {key}", f"Missing field {key}")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                validate(sub, value[key], key, noun)


# -- the OpenAPI document --------------------------------------------------------------------

_PARAM = re.compile(r"<(?:(int|string|path):)?(\w+)>")
# Any operation refuses an address or query carrying a NUL or a lone surrogate (422, before the
# route runs), and may meet a fault of its own (500) or a database that does not answer (503).
ALWAYS = (422, 500, 503)


def openapi_document(app: Flask, prefix: str) -> dict[str, Any]:
    """The OpenAPI 3 document of every documented route."""
    return render_document(OPERATIONS, prefix)
