"""The console's one forms kit: a form is a Pydantic model; its fields, as the page shows them, come from
the model's JSON schema; a posted form is read into the model; what went wrong is shown beside each field
with what was typed kept.

- A form model names its inputs (a field's name is the posted name), labels them (``Field(title=...)``),
  explains them (``description``: the help under the input), and limits them (``ge``/``le``,
  ``min_length``/``max_length``, ``pattern``, an enum or ``Literal`` for choices). The page takes the same
  limits as HTML attributes, so the browser and the server refuse the same things.
- ``json_schema_extra={"widget": "textarea"}`` (or ``password``, ``email``, ``color``, ``url``, ``hidden``)
  picks another input than the type would; ``"attrs"`` adds HTML attributes (``placeholder``...);
  ``"x-labels"`` names an enum's values; ``"choices"`` (value: label) offers a vocabulary that the
  domain checks with its own words; ``"invalid"`` says what a value of the wrong type should be.
- ``read_form(Model, form)`` gives ``(model, state)``: the validated model, or None and a state holding
  the typed values and the problems. ``state.fail(error)`` adds a domain error's problems (``Invalid``,
  ``Conflict``...) after a write refused the values. Pages render ``state.field("name")`` with the
  ``field`` macro of ``console/_forms.html`` (label, input, error and help tied by ``aria-describedby``,
  ``aria-invalid`` when wrong) and answer 422 when the state has problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request

from loyaldesk.kernel.errors import Conflict, DomainError, FieldProblem, Invalid
from loyaldesk.web.errors import status_for, wants_json

M = TypeVar("M", bound=BaseModel)
TRUE_WORDS = ("yes", "on", "true", "1")
WIDGET_OF_TYPE = {"integer": "number", "number": "number", "boolean": "checkbox"}


class ConsoleForm(BaseModel):
    """Base of the console's form models: unknown inputs (``csrf_token``) are ignored."""

    model_config = ConfigDict(extra="ignore")


def field_id(name: str, prefix: str = "") -> str:
    """The HTML id of the input named ``name`` (``rates.0.amount``: ``f-rates-0-amount``)."""
    return "f-" + prefix + name.replace(".", "-")


@dataclass(frozen=True)
class FormField:
    """One input as the page shows it: what the model says about it plus what was typed and what is wrong."""

    name: str
    label: str
    value: Any = ""
    error: str = ""
    widget: str = "text"
    help: str = ""
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=dict)
    invalid: str = ""
    prefix: str = ""

    @property
    def id(self) -> str:
        return field_id(self.name, self.prefix)

    @property
    def chosen(self) -> list[str]:
        """The values of a repeated input (``checks``), as text."""
        values = self.value if isinstance(self.value, list | tuple | set) else []
        return [str(value) for value in values]

    @property
    def checked(self) -> bool:
        return self.value is True or str(self.value).lower() in TRUE_WORDS

    def limits(self) -> dict[str, Any]:
        """The model's limits as HTML attributes (``required``, ``min``, ``maxlength``, ``pattern``...)."""
        found: dict[str, Any] = {}
        if self.required and self.widget not in ("checkbox", "password"):
            found["required"] = True
        for attribute, value in (
            ("min", self.minimum),
            ("max", self.maximum),
            ("minlength", self.min_length),
            ("maxlength", self.max_length),
            ("pattern", self.pattern),
        ):
            if value is not None:
                found[attribute] = int(value) if isinstance(value, float) and value.is_integer() else value
        if self.widget in ("select", "checks"):
            found = {}
        if self.widget == "color":
            found.pop("pattern", None)
        return {**found, **self.attrs}


def _choices(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    if "choices" in schema:  # a vocabulary the domain checks itself, with its own words
        return tuple((str(value), str(text)) for value, text in schema["choices"].items())
    if "$ref" in schema:
        schema = definitions.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
    if "enum" in schema:
        labels = schema.get("x-labels") or {}
        return tuple((str(value), str(labels.get(str(value), value))) for value in schema["enum"])
    for option in schema.get("anyOf", ()):
        if (found := _choices(option, definitions)) != ():
            return found
    return ()


def _plain(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """``int | None`` is ``anyOf: [{integer...}, {null}]``: the non-null branch carries the limits."""
    for option in schema.get("anyOf", ()):
        if option.get("type") != "null":
            return {**option, **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


@cache
def fields_of(model: type[BaseModel]) -> dict[str, FormField]:
    """The model's fields, empty, in declaration order, with labels, help, limits and choices (read
    once per model; do not change what it returns)."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    found: dict[str, FormField] = {}
    for name, raw in schema.get("properties", {}).items():
        prop = _plain(raw)
        many = prop.get("type") == "array"
        choices = _choices(prop if "choices" in prop else prop.get("items", {}) if many else raw, definitions)
        by_type = WIDGET_OF_TYPE.get(prop.get("type", ""), "text")
        widget = prop.get("widget") or ("checks" if many else "select" if choices else by_type)
        found[name] = FormField(
            name=name,
            label=str(prop.get("title") or name.replace("_", " ").capitalize()),
            widget=str(widget),
            help=str(prop.get("description") or ""),
            required=name in required,
            minimum=prop.get("minimum"),
            maximum=prop.get("maximum"),
            min_length=prop.get("minLength"),
            max_length=prop.get("maxLength"),
            pattern=prop.get("pattern"),
            choices=choices,
            attrs=dict(prop.get("attrs") or {}),
            invalid=str(prop.get("invalid") or ""),
        )
    return found


@dataclass
class FormState:
    """What a form shows: the values (typed, or the current ones) and the problems, per input name."""

    model: type[BaseModel]
    values: dict[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)
    prefix: str = ""
    """Put before every input's id, where two forms on a page share input names."""
    status: int = 422
    """The answer's status when the form comes back refused: a domain error's own (409 for a conflict)."""

    @property
    def errors(self) -> dict[str, str]:
        """The first reason per input name."""
        found: dict[str, str] = {}
        for problem in self.problems:
            found.setdefault(problem.field, problem.reason)
        return found

    @property
    def invalid(self) -> bool:
        return bool(self.problems)

    @property
    def labels(self) -> dict[str, str]:
        return {name: spec.label for name, spec in fields_of(self.model).items()}

    def field(self, name: str, **overrides: Any) -> FormField:
        """The input ``name`` with its value and error; ``overrides`` change what the model says
        (``label=``, ``help=``, ``choices=``, ``attrs=``...) for this page."""
        spec = fields_of(self.model)[name]
        value = self.values.get(name, "")
        return FormField(
            **{
                **spec.__dict__,
                "value": "" if value is None else value,
                "error": self.errors.get(name, ""),
                "prefix": self.prefix,
                **overrides,
            }
        )

    def refuse_for_scripts(self, request: Request) -> None:
        """A script that asked for JSON gets the problems as the API's error (``Invalid`` raised, the
        fields named), not the page; a page is answered by showing the form again."""
        if self.problems and wants_json(request):
            if self.status == 409:
                raise Conflict("; ".join(problem.reason for problem in self.problems))
            raise Invalid("the form is not valid", list(self.problems))

    def fields(self) -> list[FormField]:
        return [self.field(name) for name in fields_of(self.model)]

    def fail(self, error: Exception, field: str = "", renamed: Mapping[str, str] | None = None) -> FormState:
        """Add the problems of ``error`` (a Pydantic or domain error). ``renamed`` maps a domain's field
        path to this form's input (``escalation.team_id`` -> ``escalation_team_id``). A problem about no
        input in particular goes to ``field`` when given, else to the first input its message names,
        else to the form as a whole. A field's ``invalid`` (in its schema) replaces Pydantic's words
        for a value of the wrong type."""
        if isinstance(error, DomainError):
            self.status = status_for(error)
        specs = fields_of(self.model)
        wrong_type = isinstance(error, ValidationError) and {
            ".".join(str(part) for part in item["loc"])
            for item in error.errors()
            if item["type"].endswith(("_parsing", "_type"))
        }
        for problem in problems_of(error, known=specs):
            name = (renamed or {}).get(problem.field, problem.field) or field
            if name not in specs and name.split(".")[0] in specs:
                name = name.split(".")[0]
            reason = problem.reason
            if wrong_type and name in wrong_type and name in specs and specs[name].invalid:
                reason = specs[name].invalid
            self.problems.append(FieldProblem(name, reason))
        return self


def blank_form(
    model: type[BaseModel], values: Mapping[str, Any] | None = None, *, prefix: str = ""
) -> FormState:
    """The form before anything was posted: the model's defaults, then ``values`` (the current ones)."""
    defaults = {
        name: default
        for name, info in model.model_fields.items()
        if not info.is_required() and (default := info.get_default(call_default_factory=True)) is not None
    }
    chosen = {key: value for key, value in (values or {}).items() if value is not None}
    return FormState(model, {**defaults, **chosen}, prefix=prefix)


def typed_values(model: type[BaseModel], form: FormData) -> dict[str, Any]:
    """The posted values of the model's inputs as typed: text as it came, a checkbox as True or False,
    a list as every value of the repeated input."""
    values: dict[str, Any] = {}
    specs = fields_of(model)
    for name, info in model.model_fields.items():
        spec = specs[name]
        if spec.widget == "checkbox":
            values[name] = str(form.get(name) or "").lower() in TRUE_WORDS
        elif _is_list(info.annotation):
            values[name] = [str(value) for value in form.getlist(name)]
        elif name in form:
            values[name] = str(form.get(name))
    return values


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) in (list, tuple, set)


def read_form(model: type[M], form: FormData, *, prefix: str = "") -> tuple[M | None, FormState]:
    """The posted form validated by ``model``; on a problem, None and the state to show again.

    An empty input whose default is None is read as None, not as an empty string that would fail a
    number or a pattern."""
    values = typed_values(model, form)
    candidate = {
        name: None if value == "" and model.model_fields[name].default is None else value
        for name, value in values.items()
    }
    state = FormState(model, values, prefix=prefix)
    try:
        return model.model_validate(candidate), state
    except ValidationError as error:
        state.fail(error)
        return None, state


def problems_of(
    error: Exception, *, strip: Iterable[str] = (), known: Iterable[str] = ()
) -> list[FieldProblem]:
    """The field problems of a Pydantic ``ValidationError`` or a domain error, each naming the form input.

    ``strip`` drops a leading location part (``purchase.multiplier`` -> ``multiplier``); an error about the
    whole form is put on the first ``known`` field name its message mentions."""
    prefixes = tuple(strip)
    fields = sorted(known, key=len, reverse=True)

    def named_in(message: str) -> str:
        found = [
            (match.start(), name)
            for name in fields
            if (match := re.search(rf"\b{re.escape(name)}\b", message)) is not None
        ]
        return min(found)[1] if found else ""

    problems: list[FieldProblem] = []
    if isinstance(error, ValidationError):
        for item in error.errors():
            location = [str(part) for part in item["loc"] if part != "body"]
            if location and location[0] in prefixes:
                location = location[1:]
            reason = item["msg"].removeprefix("Value error, ")
            field = ".".join(location)
            if not field:
                field = named_in(reason)
            problems.append(FieldProblem(field, reason))
    elif isinstance(error, Invalid) and error.problems:
        problems.extend(error.problems)
    elif isinstance(error, DomainError):
        problems.append(FieldProblem(named_in(error.message), error.message))
    else:
        problems.append(FieldProblem("", str(error)))
    return problems


def readable(problems: list[FieldProblem], labels: Mapping[str, str]) -> list[FieldProblem]:
    """The problems with field names inside their reasons (``ends_at must be after starts_at``) replaced
    by the inputs' labels. Only names with an underscore: a plain word reads well as it is."""
    names = sorted((name for name in labels if "_" in name), key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(name) for name in names) + r")\b") if names else None

    def words(reason: str) -> str:
        return pattern.sub(lambda match: f"“{labels[match.group(1)]}”", reason) if pattern else reason

    return [FieldProblem(problem.field, words(problem.reason)) for problem in problems]


def errors_by_field(problems: list[FieldProblem]) -> dict[str, str]:
    """The first reason per field, for showing beside each input."""
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(problem.field, problem.reason)
    return found
