"""The OpenAPI 3.0 document: each operation's declaration (spec.py) with the pydantic models of
what it accepts and answers, rendered once. A model's fields carry their type, whether they can
be null, and a description in Chinese and English; pydantic writes JSON Schema 2020-12, which
is turned here into the OpenAPI 3.0 dialect (`nullable`, no `const`, no `$ref` siblings)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from ..http import RECORD_ID_MAX

if TYPE_CHECKING:
    from .spec import Operation

Model = type[BaseModel]
COMPONENTS = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Media:
    """A response that is not JSON: its media type (as sent, without parameters) and meaning."""

    type: str
    zh: str
    en: str

    @property
    def schema(self) -> dict[str, Any]:
        if self.type.startswith("text/") or self.type.endswith("+xml"):
            return {"type": "string"}
        return {"type": "string", "format": "binary"}


SVG = Media("image/svg+xml", "SVG 图片", "An SVG picture")
ICS = Media(
    "text/calendar", "iCalendar 日程（可导入手机日历）", "An iCalendar event for a phone's calendar"
)
CSV = Media("text/csv", "CSV 表格（UTF-8，Excel 可打开）", "A CSV table (UTF-8, opens in Excel)")

# What each status means, in the document's two languages.
STATUS_TEXT = {
    200: ("成功", "OK"),
    201: ("已创建", "Created"),
    202: ("已受理，稍后执行", "Accepted, done in the background"),
    400: ("请求格式错误（不是 JSON 对象等）", "Malformed request (not a JSON object, …)"),
    401: ("未登录，或令牌无效", "Not signed in, or the token is invalid"),
    403: ("无权执行此操作", "Not allowed"),
    404: ("找不到所指的对象", "What the path names does not exist"),
    409: ("与当前状态冲突", "Clashes with the current state"),
    413: ("请求内容过大", "Request too large"),
    422: ("输入无效（说明见 message）", "Invalid input (message says why)"),
    429: ("尝试过于频繁，请稍后再试", "Too many attempts; try again later"),
    500: ("系统出现问题", "Something went wrong"),
    503: ("数据库或其他服务暂时不可用", "The database or another service is unavailable"),
}


class Error(BaseModel):
    """Every refusal: a code, a Chinese and an English message."""

    error: str = Field(description="错误代码，如 not_found / Error code, e.g. not_found")
    message: str = Field(description="中文说明 / The message in Chinese")
    message_en: str = Field(description="英文说明 / The message in English")
    missing: list[Any] | None = Field(
        None,
        description="材料不全时缺少的材料（一次性告知） / Missing materials, when that is why",
    )


def bilingual(zh: str, en: str) -> str:
    """One description in both languages."""
    return f"{zh} / {en}"


# -- JSON Schema 2020-12 (pydantic) → OpenAPI 3.0 ----------------------------------------------


def openapi30(node: Any) -> Any:
    """A pydantic schema in OpenAPI 3.0's dialect."""
    if isinstance(node, list):
        return [openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: openapi30(value) for key, value in node.items() if key != "$defs"}
    options = node.get("anyOf")
    if options is not None and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del node["anyOf"]
        if len(rest) == 1:
            node = {**_unref(rest[0]), **node}
        else:
            node["anyOf"] = rest
        node["nullable"] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if node.get("nullable") and "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]  # OpenAPI 3.0.3: a nullable enum lists null
    if "$ref" in node and len(node) > 1:
        node = {"allOf": [{"$ref": node.pop("$ref")}], **node}
    return node


def _unref(schema: dict[str, Any]) -> dict[str, Any]:
    return {"allOf": [schema]} if "$ref" in schema else schema


def request_schema(model: Model) -> dict[str, Any]:
    """A request body's schema, inline (nested models written out): the same dictionary checks
    requests (spec.validate) and is shown in the document."""
    raw = model.model_json_schema(mode="validation")
    defs = raw.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return inline({**defs[node["$ref"].rsplit("/", 1)[-1]], **_without(node, "$ref")})
        node = {key: inline(value) for key, value in node.items() if key != "$defs"}
        if "anyOf" in node and {"type": "null"} not in node["anyOf"]:
            node["oneOf"] = node.pop("anyOf")
        return node

    schema: dict[str, Any] = openapi30(inline(raw))
    schema.pop("title", None)
    return schema


def _without(node: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != key}


# -- the document ------------------------------------------------------------------------------

_PARAM = re.compile(r"<(?:(int|string|path):)?(\w+)>")


def openapi_path(rule: str) -> str:
    """Flask's /halls/<int:hall> as OpenAPI's /halls/{hall}."""
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)


def component_schemas(
    models: Iterable[Model], bodies: Collection[Model] = ()
) -> tuple[dict[Model, dict[str, Any]], dict[str, Any]]:
    """The components/schemas of these models (replies) and bodies (requests), and of every
    model they hold; with the `$ref` naming each request body's schema."""
    pairs = sorted(
        {*((model, "serialization") for model in models), *((m, "validation") for m in bodies)},
        key=lambda pair: (pair[0].__name__, pair[1]),
    )
    refs, top = models_json_schema(pairs, ref_template=COMPONENTS)  # type: ignore[arg-type]
    body_refs = {model: refs[(model, "validation")] for model in bodies}
    schemas = {name: openapi30(schema) for name, schema in sorted(top.get("$defs", {}).items())}
    return body_refs, schemas


def operation_id(method: str, path: str) -> str:
    name = f"{method.lower()}_{path.strip('/').replace('/', '_')}"
    return name.replace("{", "").replace("}", "").replace("-", "_").replace(".", "_")


def response(op: Operation, code: int) -> dict[str, Any]:
    """One status of an operation: what it means and the bodies it comes with."""
    zh, en = STATUS_TEXT.get(code, ("", ""))
    content: dict[str, Any] = {}
    if code >= 400:
        content["application/json"] = {"schema": {"$ref": COMPONENTS.format(model="Error")}}
    elif code == op.status:
        if op.returns is not None:
            ref = {"$ref": COMPONENTS.format(model=op.returns.__name__)}
            content["application/json"] = {"schema": ref}
        elif not op.only_media:
            content["application/json"] = {"schema": {"type": "object"}}  # not yet typed
        for media in op.media:
            content[media.type] = {"schema": media.schema}
    answer: dict[str, Any] = {"description": bilingual(zh, en)}
    if op.media and code == op.status:
        answer["description"] += "; " + "; ".join(
            f"{m.type}: {bilingual(m.zh, m.en)}" for m in op.media
        )
    if content:
        answer["content"] = content
    return answer


def render_document(operations: list[Operation], prefix: str) -> dict[str, Any]:
    """The OpenAPI 3 document of every declared operation."""
    models: list[Model] = [Error, *(op.returns for op in operations if op.returns is not None)]
    bodies = [op.body_model for op in operations if op.body_model is not None]
    body_refs, schemas = component_schemas(models, bodies)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        path = prefix + openapi_path(op.rule)
        parameters = (
            [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": RECORD_ID_MAX}
                    if kind == "int"
                    else {"type": "string"},
                }
                for kind, name in _PARAM.findall(op.rule)
            ]
            + [
                {
                    "name": param.name,
                    "in": "query",
                    "required": param.required,
                    "description": param.description,
                    "schema": param.schema,
                }
                for param in op.query
            ]
            + [
                {
                    "name": param.name,
                    "in": "header",
                    "required": False,
                    "description": param.description,
                    "schema": param.schema,
                }
                for param in op.headers
            ]
        )
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": operation_id(op.method, path),
            "parameters": parameters,
            "responses": {str(code): response(op, code) for code in sorted(op.responses)},
        }
        if op.body is not None:
            body = body_refs[op.body_model] if op.body_model is not None else op.body
            operation["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": body}},
            }
        if op.auth != "public":
            operation["security"] = [{"bearer": []}, {"cookie": []}]
            operation["x-hallq-auth"] = op.auth
        paths.setdefault(path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "hallq API",
            "version": "1",
            "description": "排队叫号、自助取号与预约服务接口 / Queue, kiosk and booking API. "
            "Errors are JSON {error, message (zh), message_en}.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }
