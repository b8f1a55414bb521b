"""One spelling per vocabulary: every word list the loyalty program accepts or shows (API schemas, the
console's choices, the program's defaults and ranges) is one of ``loyalty.vocab``'s enums, so that no
copy can drift from it."""

from __future__ import annotations

import inspect
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from loyaldesk.loyalty import member_schemas, rule_config, schemas
from loyaldesk.loyalty import vocab as vocabulary
from loyaldesk.loyalty.program import DEFAULTS
from loyaldesk.loyalty.schemas import ProgramSettings, ProgramSettingsPatch, setting_range
from loyaldesk.web.console.loyalty_settings import ROUNDING, SETTINGS_GROUPS

VOCABULARIES: list[type[StrEnum]] = [
    value
    for value in vars(vocabulary).values()
    if inspect.isclass(value) and issubclass(value, StrEnum) and value is not StrEnum
]
SPELLINGS = {frozenset(member.value for member in enum): enum for enum in VOCABULARIES}


def _models() -> list[type[BaseModel]]:
    found = []
    for module in (schemas, member_schemas, rule_config):
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def _word_lists(schema: Any, where: str) -> list[tuple[str, list[Any]]]:
    """Every ``enum`` of a JSON schema (Literals and enums alike), with where it was found."""
    found: list[tuple[str, list[Any]]] = []
    if isinstance(schema, dict):
        if "enum" in schema and all(isinstance(value, str) for value in schema["enum"]):
            found.append((where, schema["enum"]))
        for key, value in schema.items():
            found += _word_lists(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found += _word_lists(value, f"{where}[{index}]")
    return found


def test_every_word_list_of_the_api_is_a_vocabulary_enum() -> None:
    models = _models()
    assert len(models) > 20
    for model in models:
        for where, words in _word_lists(model.model_json_schema(), model.__name__):
            assert frozenset(words) in SPELLINGS, f"{where} spells its own list {words}"


def test_the_program_settings_use_the_enums_and_the_patch_is_derived_from_them() -> None:
    for name, field in ProgramSettings.model_fields.items():
        annotation = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, StrEnum):
            assert annotation in VOCABULARIES, name
            assert DEFAULTS[name] in {member.value for member in annotation}, name
    assert set(ProgramSettingsPatch.model_fields) == set(ProgramSettings.model_fields)
    patch = ProgramSettingsPatch.model_json_schema()["properties"]
    full = ProgramSettings.model_json_schema()["properties"]
    for name, field in full.items():
        for bound in ("minimum", "maximum", "minLength", "maxLength", "pattern", "$ref"):
            if bound in field:
                assert any(option.get(bound) == field[bound] for option in patch[name]["anyOf"]), (
                    name,
                    bound,
                )


def test_the_console_offers_exactly_the_vocabularies_with_their_labels_and_the_models_ranges() -> None:
    selects = 0
    for _title, _intro, settings in SETTINGS_GROUPS:
        for setting in settings:
            if setting.options:
                selects += 1
                enum = ProgramSettings.model_fields[setting.name].annotation
                assert inspect.isclass(enum) and issubclass(enum, StrEnum), setting.name
                assert setting.options == vocabulary.choices(enum), setting.name
                assert {value for value, _label in setting.options} == set(vocabulary.LABELS[enum])
            if setting.kind == "int":
                low, high = setting_range(setting.name)
                assert f'min="{low}"' in setting.attrs and f'max="{high}"' in setting.attrs, setting.name
    assert selects == 7
    assert vocabulary.choices(vocabulary.Rounding) == ROUNDING


def test_every_labelled_value_exists_and_every_value_of_a_labelled_vocabulary_has_its_label() -> None:
    for enum, labels in vocabulary.LABELS.items():
        assert set(labels) == {member.value for member in enum}, enum.__name__


def test_the_support_priorities_a_tier_grants_are_supports_own() -> None:
    from loyaldesk.support.rules import Priority
    from loyaldesk.web.console.loyalty_catalog import PRIORITIES

    assert [member.value for member in vocabulary.SupportPriority] == [member.value for member in Priority]
    assert vocabulary.choices(vocabulary.SupportPriority) == PRIORITIES
