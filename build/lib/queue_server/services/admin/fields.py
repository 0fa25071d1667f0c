"""Field declarations: one place for a form's fields, the API's schema and the checks."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ...domain.errors import InvalidInput


class FieldErrors(InvalidInput):
    """Some fields of a form or request are not acceptable; `errors` says which and why."""

    def __init__(self, errors: Mapping[str, tuple[str, str]]) -> None:
        self.errors = dict(errors)
        super().__init__(
            "；".join(zh for zh, _ in self.errors.values()),
            "; ".join(en for _, en in self.errors.values()),
        )


def field_error(key: str, zh: str, en: str) -> FieldErrors:
    """A refusal about one field."""
    return FieldErrors({key: (zh, en)})


@dataclass(frozen=True)
class FieldSpec:
    """One field: its name, bilingual label, kind and bounds.

    Kinds: text, textarea, password, int, bool, choice, lines (a list of strings),
    ids (an ordered list of ids), ref (an id or null), minute (minute of the day),
    date (an ISO date).
    """

    key: str
    zh: str
    en: str
    kind: str = "text"
    required: bool = False
    nullable: bool = False
    max_len: int = 200
    low: int = 0
    high: int = 1_000_000
    choices: tuple[tuple[str, str, str], ...] = ()
    help_zh: str = ""
    help_en: str = ""

    def json_schema(self) -> dict[str, Any]:
        """The JSON-schema subset `api.spec.validate` understands."""
        schema: dict[str, Any]
        if self.kind in ("text", "textarea", "password"):
            schema = {"type": "string", "maxLength": self.max_len}
        elif self.kind in ("int", "minute", "ref"):
            schema = {"type": "integer"}
        elif self.kind == "bool":
            schema = {"type": "boolean"}
        elif self.kind == "choice":
            schema = {"type": "string", "enum": [value for value, _, _ in self.choices]}
        elif self.kind == "lines":
            schema = {"type": "array", "items": {"type": "string", "maxLength": self.max_len}}
        elif self.kind == "ids":
            schema = {"type": "array", "items": {"type": "integer"}}
        elif self.kind == "date":
            schema = {"type": "string", "pattern": r"\d{4}-\d{2}-\d{2}"}
        else:  # pragma: no cover - a declaration error, caught by the schema tests
            raise ValueError(self.kind)
        if self.nullable or self.kind == "ref":
            schema["nullable"] = True
        schema["description"] = f"{self.zh} / {self.en}"
        return schema

    def missing(self) -> tuple[str, str]:
        """The message for a required field left empty."""
        return (f"请填写{self.zh}", f"{self.en} is required")

    def clean(self, value: Any) -> Any:
        """The checked value, or a FieldErrors naming this field."""
        zh, en = self.zh, self.en
        if value is None and (self.nullable or self.kind == "ref"):
            if self.required:
                raise FieldErrors({self.key: self.missing()})
            return None
        if self.kind in ("text", "textarea", "password"):
            if not isinstance(value, str):
                raise field_error(self.key, f"{zh}须为文字", f"{en} must be text")
            if self.kind != "password":
                value = value.strip()
                if not printable(value, multiline=self.kind == "textarea"):
                    raise field_error(
                        self.key,
                        f"{zh}含有无法显示或打印的字符",
                        f"{en} contains characters that cannot be shown or printed",
                    )
            if not value and self.required:
                raise FieldErrors({self.key: self.missing()})
            if len(value) > self.max_len:
                raise field_error(
                    self.key,
                    f"{zh}不能超过 {self.max_len} 字",
                    f"{en} must be at most {self.max_len} characters",
                )
            return value
        if self.kind in ("int", "minute", "ref"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise field_error(self.key, f"{zh}须为整数", f"{en} must be a whole number")
            low, high = (0, 24 * 60 - 1) if self.kind == "minute" else (self.low, self.high)
            if self.kind != "ref" and not low <= value <= high:
                raise field_error(
                    self.key,
                    f"{zh}须在 {low} 到 {high} 之间",
                    f"{en} must be from {low} to {high}",
                )
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise field_error(self.key, f"{zh}须为是或否", f"{en} must be true or false")
            return value
        if self.kind == "choice":
            allowed = [v for v, _, _ in self.choices]
            if value not in allowed:
                names = "、".join(z for _, z, _ in self.choices)
                raise field_error(
                    self.key, f"{zh}须为以下之一：{names}", f"{en} must be one of {allowed}"
                )
            return value
        if self.kind == "lines":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise field_error(self.key, f"{zh}须为文字列表", f"{en} must be a list of text")
            lines = [v.strip() for v in value if v.strip()]
            if not all(printable(line) for line in lines):
                raise field_error(
                    self.key,
                    f"{zh}含有无法显示或打印的字符",
                    f"{en} contains characters that cannot be shown or printed",
                )
            if len(lines) > 50 or any(len(v) > self.max_len for v in lines):
                raise field_error(
                    self.key,
                    f"{zh}最多 50 项，每项不超过 {self.max_len} 字",
                    f"{en}: at most 50 entries of {self.max_len} characters",
                )
            return lines
        if self.kind == "date":
            try:
                return date.fromisoformat(value) if isinstance(value, str) else _no_date()
            except ValueError:
                raise field_error(
                    self.key, f"{zh}须为日期，如 2026-12-01", f"{en} must be a date like 2026-12-01"
                ) from None
        if self.kind == "ids":
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise field_error(self.key, f"{zh}须为编号列表", f"{en} must be a list of ids")
            if len(set(value)) != len(value):
                raise field_error(self.key, f"{zh}有重复项", f"{en} lists an entry twice")
            return list(value)
        raise ValueError(self.kind)  # pragma: no cover


# Control, format, surrogate, private-use and unassigned characters: a screen shows them as
# boxes and the ticket printer refuses them (devices.escpos_ticket), so every ticket of a
# category named with one would fail to print.
_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def printable(text: str, *, multiline: bool = False) -> bool:
    """Whether a name or text has only characters a screen and a ticket printer can show."""
    return not any(
        unicodedata.category(char) in _UNPRINTABLE and not (multiline and char in "\n\r\t")
        for char in text
    )


def _no_date() -> date:
    raise ValueError("not a date")


def clean(specs: Sequence[FieldSpec], data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check every declared field present in `data`; all problems are reported together."""
    if not isinstance(data, Mapping):
        raise InvalidInput("请求内容须为对象", "The request body must be an object")
    values: dict[str, Any] = {}
    errors: dict[str, tuple[str, str]] = {}
    for spec in specs:
        if spec.key not in data:
            if spec.required and not partial:
                errors[spec.key] = spec.missing()
            continue
        try:
            values[spec.key] = spec.clean(data[spec.key])
        except FieldErrors as problem:
            errors.update(problem.errors)
    if errors:
        raise FieldErrors(errors)
    return values


def schema_of(specs: Sequence[FieldSpec], *, partial: bool = False) -> dict[str, Any]:
    """The JSON schema of a request built from field declarations."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {spec.key: spec.json_schema() for spec in specs},
    }
    required = [spec.key for spec in specs if spec.required]
    if required and not partial:
        schema["required"] = required
    return schema


def enum_choices(names: Mapping[Any, tuple[str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((str(key.value), zh, en) for key, (zh, en) in names.items())
