"""Server-rendered forms from the services' field declarations.

A form turns the browser's strings into the typed values the use cases take (the same values
the JSON API sends), and carries the bilingual error of each field back to the page. CSRF is
the one mechanism of hallq's cookie sessions (`http.csrf_token` / `check_csrf`): every admin
form posts the session's token as `csrf_token`, checked by `current_actor()` before any change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from ..services.admin import FieldErrors, FieldSpec

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def minute_text(minute: int | None) -> str:
    """A minute of the day as HH:MM."""
    if minute is None:
        return ""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass
class Option:
    """One choice of a select or checkbox list."""

    value: Any
    zh: str
    en: str = ""


@dataclass
class Form:
    """The fields of one form, the values to show in them, and their errors."""

    specs: Sequence[FieldSpec]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    options: dict[str, list[Option]] = field(default_factory=dict)
    message: tuple[str, str] | None = None

    def spec(self, key: str) -> FieldSpec:
        """The declaration of a field."""
        return next(s for s in self.specs if s.key == key)

    def text(self, key: str) -> str:
        """A field's value as the input shows it."""
        spec = self.spec(key)
        value = self.values.get(key)
        if value is None:
            return ""
        if spec.kind == "password":
            return ""
        if isinstance(value, str):
            return value  # as typed, when a refused form is shown again
        if spec.kind == "minute":
            return minute_text(value)
        if spec.kind == "lines":
            return "\n".join(value)
        return str(value)

    def chosen(self, key: str, value: Any) -> bool:
        """Whether an option is the field's value (or one of its values)."""
        current = self.values.get(key)
        if isinstance(current, list):
            return value in current or str(value) in [str(v) for v in current]
        return current is not None and str(current) == str(value)

    def choices(self, key: str) -> list[Option]:
        """The options of a choice, ref or ids field."""
        if key in self.options:
            return self.options[key]
        return [Option(v, zh, en) for v, zh, en in self.spec(key).choices]

    def fail(self, problem: FieldErrors) -> Form:
        """Keep the errors of a refused submission."""
        for key, message in problem.errors.items():
            if any(s.key == key for s in self.specs):
                self.errors[key] = message
            else:
                self.message = message
        return self


def without(specs: Sequence[FieldSpec], key: str) -> tuple[FieldSpec, ...]:
    """The declarations but one (a field shown only when adding, or only when changing)."""
    return tuple(spec for spec in specs if spec.key != key)


def parse(
    specs: Sequence[FieldSpec], formdata: MultiDict[str, str], *, skip: Sequence[str] = ()
) -> dict[str, Any]:
    """The typed values of a submitted form; FieldErrors for what cannot be read at all."""
    data: dict[str, Any] = {}
    errors: dict[str, tuple[str, str]] = {}
    for spec in specs:
        if spec.key in skip:
            continue
        if spec.kind == "bool":
            data[spec.key] = formdata.get(spec.key) in ("on", "1", "true", "yes")
            continue
        if spec.kind == "ids":
            raw_ids = formdata.getlist(spec.key)
            if not all(re.fullmatch(r"[0-9]{1,9}", v) for v in raw_ids):
                errors[spec.key] = (f"{spec.zh}无效", f"{spec.en} is not valid")
                continue
            data[spec.key] = [int(v) for v in raw_ids]
            continue
        if spec.key not in formdata:
            continue
        raw = formdata.get(spec.key, "")
        if spec.kind in ("text", "textarea", "password", "choice"):
            data[spec.key] = raw
        elif spec.kind == "lines":
            data[spec.key] = [line for line in raw.splitlines()]
        elif spec.kind in ("int", "ref"):
            raw = raw.strip()
            if raw == "":
                if spec.kind == "ref" or spec.nullable:
                    data[spec.key] = None
                elif spec.required:
                    errors[spec.key] = spec.missing()
                continue
            if not re.fullmatch(r"-?\d{1,9}", raw):
                errors[spec.key] = (f"{spec.zh}须为整数", f"{spec.en} must be a whole number")
                continue
            data[spec.key] = int(raw)
        elif spec.kind == "minute":
            match = _TIME.match(raw.strip())
            if not match:
                errors[spec.key] = (
                    f"{spec.zh}须为 时:分，如 08:30",
                    f"{spec.en} must be a time like 08:30",
                )
                continue
            data[spec.key] = int(match.group(1)) * 60 + int(match.group(2))
        elif spec.kind == "date":
            data[spec.key] = raw.strip() or None
    if errors:
        raise FieldErrors(errors)
    return data


def ordered_ids(formdata: MultiDict[str, str], prefix: str, known: Sequence[int]) -> list[int]:
    """Ids given an order number in inputs named `<prefix><id>`, in that order (blank: left out)."""
    chosen: list[tuple[int, int]] = []
    for index, item in enumerate(known):
        raw = (formdata.get(f"{prefix}{item}") or "").strip()
        if not raw:
            continue
        if not re.fullmatch(r"[0-9]{1,9}", raw):
            raise FieldErrors({"category_ids": ("顺序须为数字", "The order must be a number")})
        chosen.append((int(raw) * 10_000 + index, item))
    return [item for _, item in sorted(chosen)]


def values_of(view: Mapping[str, Any], specs: Sequence[FieldSpec]) -> dict[str, Any]:
    """The form values of a stored object's view."""
    return {spec.key: view.get(spec.key) for spec in specs}
