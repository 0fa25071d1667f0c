"""The console's records that a manager lists, adds, edits and removes (categories, windows,
service items, staff, devices), each described once by a `Resource` whose `register` makes its
pages:

- `GET|POST /halls/<hall>/<many>/new`, endpoint `admin.<one>_new`: the empty form; on POST the
  use case runs with the form's values, or the form comes back with its errors (422);
- `GET|POST /<many>/<one>`, endpoint `admin.<one>_edit`: the record's form, the same way;
- `POST /<many>/<one>/delete`, endpoint `admin.<one>_delete`, for a resource that can be removed.

A page that changed something says so on the next page (post/redirect/get). The use cases of
services/admin/ check the hall scope and write the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, url_for

from ..http import deps
from ..services import admin
from ..services.context import Actor
from .forms import Form
from .pages import done, form_view, me


@dataclass
class FormPage:
    """A resource's form as its new or edit page shows it."""

    form: Form
    template: str = "admin/form.html"
    skip: tuple[str, ...] = ()  # fields the page reads itself, with `extra`
    extra: Callable[[], dict[str, Any]] | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """One kind of record of a hall, as the console lists, adds, edits and removes it."""

    one: str  # the endpoints' stem and the URL parameter: "category"
    many: str  # the list's endpoint and the URL's path: "categories"
    get: Callable[[Any, Actor, int], dict[str, Any]]  # (deps, actor, id): the record
    # (deps, actor, hall, id, values): the hall for a new record, the id for an existing one
    save: Callable[[Any, Actor, int | None, int | None, dict[str, Any]], Any]
    # (hall, record or None when adding): the form with its choices, template and context
    form: Callable[[int, dict[str, Any] | None], FormPage]
    new_title: tuple[str, str]
    title: Callable[[dict[str, Any]], tuple[str, str]]
    added: tuple[str, str]
    saved: tuple[str, str]
    # After a save: back to the hall's list, or to the record's own page.
    back_to_record: bool = False
    # The new page looks the hall up first (its choices alone would not).
    check_hall: bool = False
    # The new page also shows, in fields that could not be read, what was typed into them.
    keep_typed_new: bool = True
    # (hall, created, added): the page after adding, when not a redirect (a secret shown once)
    after_new: Callable[[int, Any, tuple[str, str]], Any] | None = None
    remove: Callable[[Any, Actor, int], None] | None = None
    removed: tuple[str, str] = ("已删除", "Removed")

    def register(self, blueprint: Blueprint) -> None:
        """Add the resource's pages to the console."""
        blueprint.add_url_rule(
            f"/halls/<int:hall>/{self.many}/new",
            endpoint=f"{self.one}_new",
            view_func=self.new_page,
            methods=["GET", "POST"],
        )
        blueprint.add_url_rule(
            f"/{self.many}/<int:{self.one}>",
            endpoint=f"{self.one}_edit",
            view_func=self.edit_page,
            methods=["GET", "POST"],
        )
        if self.remove is not None:
            blueprint.add_url_rule(
                f"/{self.many}/<int:{self.one}>/delete",
                endpoint=f"{self.one}_delete",
                view_func=self.delete,
                methods=["POST"],
            )

    def _back(self, hall: int, record: Callable[[], int]) -> str:
        """Where a save goes: the record's page or the hall's list."""
        if self.back_to_record:
            where: dict[str, Any] = {self.one: record()}
            return url_for(f"admin.{self.one}_edit", **where)
        return url_for(f"admin.{self.many}", hall=hall)

    def new_page(self, hall: int) -> Any:
        """Add a record to the hall."""
        actor = me()
        if self.check_hall:
            admin.hall_detail(deps(), actor, hall)
        shown = self.form(hall, None)

        def then(created: Any) -> Any:
            if self.after_new is not None:
                return self.after_new(hall, created, self.added)
            return done(*self.added, self._back(hall, lambda: created["id"]))

        return form_view(
            shown.form,
            lambda data: self.save(deps(), actor, hall, None, data),
            then,
            title=self.new_title,
            hall_id=hall,
            keep_typed=self.keep_typed_new,
            template=shown.template,
            skip=shown.skip,
            extra=shown.extra,
            **shown.context,
        )

    def edit_page(self, **url: int) -> Any:
        """Change a record."""
        record_id = url[self.one]
        actor = me()
        found = self.get(deps(), actor, record_id)
        hall = found["hall_id"]
        shown = self.form(hall, found)
        return form_view(
            shown.form,
            lambda data: self.save(deps(), actor, None, record_id, data),
            lambda _: done(*self.saved, self._back(hall, lambda: record_id)),
            title=self.title(found),
            hall_id=hall,
            template=shown.template,
            skip=shown.skip,
            extra=shown.extra,
            **shown.context,
        )

    def delete(self, **url: int) -> Any:
        """Remove a record, then go back to the hall's list."""
        assert self.remove is not None
        record_id = url[self.one]
        actor = me()
        found = self.get(deps(), actor, record_id)
        self.remove(deps(), actor, record_id)
        return done(*self.removed, url_for(f"admin.{self.many}", hall=found["hall_id"]))
