"""YAML that remembers where every key and item came from.

golive's inputs (profile, checklists, sanitize rules) are YAML written by hand,
and a message is only useful when it names the file and line to fix. PyYAML's
``safe_load`` forgets positions, so we compose the node tree and build plain
Python data from it ourselves, keeping the line of every mapping key and list
item in a table keyed by its path (``("bill_run", "on_drift")``,
``("items", 3)``). `validate` then turns every pydantic error into a located
`Problem` (valid values, "did you mean") and raises one `ConfigError` for all.

Keys are always strings (``on:`` stays ``"on"``); a scalar the YAML resolver
takes for a date but that is no date (``2026-13-01``) stays a string so the
model can say what is wrong with it; duplicate keys are errors, not "last wins".
"""

from __future__ import annotations

import difflib
import enum
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from common.errors import ConfigError, Problem

__all__ = [
    "Loc",
    "Located",
    "YamlSource",
    "display_name",
    "expand_env",
    "format_loc",
    "load_yaml",
    "parse_yaml",
    "problems_from",
    "suggest",
    "validate",
]

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


def display_name(path: Path) -> str:
    """``path`` as messages show it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def format_loc(loc: Sequence[str | int]) -> str:
    """``("items", 3, "severity")`` → ``items[3].severity``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def suggest(word: object, choices: Sequence[str], cutoff: float = 0.6) -> str | None:
    """The closest of ``choices`` to ``word`` (difflib), or None when nothing is close."""
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=cutoff)
    return matches[0] if matches else None


@dataclass
class YamlSource:
    """Plain data loaded from one YAML file plus the line of every key and item."""

    file: str  # as shown in messages
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    overridden: set[Loc] = field(default_factory=set)  # paths set from the command line

    def line(self, loc: Sequence[str | int]) -> int | None:
        """Line of ``loc``, or of its nearest ancestor that is in the file."""
        path = tuple(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def problem(
        self,
        loc: Sequence[str | int],
        message: str,
        *,
        valid: list[str] | None = None,
        suggestion: str | None = None,
    ) -> Problem:
        """A Problem at ``loc`` of this file (or of the command line, if overridden)."""
        path = tuple(loc)
        if any(path[: len(o)] == o for o in self.overridden):
            return Problem("command line", None, format_loc(path) or None, message, valid,
                           suggestion)
        return Problem(self.file, self.line(path), format_loc(path) or None, message, valid,
                       suggestion)


class _Builder:
    """Walks a composed node tree into plain data, recording lines and problems."""

    def __init__(self, loader: yaml.SafeLoader, source: YamlSource) -> None:
        self.loader = loader
        self.source = source
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.source.lines[(*loc, index)] = child.start_mark.line + 1
                items.append(self.build(child, (*loc, index)))
            return items
        return self._scalar(node, loc)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        try:
            self.loader.flatten_mapping(node)  # resolves "<<" merge keys
        except yaml.constructor.ConstructorError as exc:
            self.problems.append(self._mark_problem(exc))
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(self.source.problem(loc, "a key must be a plain word"))
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in result:
                first = self.source.lines[(*loc, key)]
                self.problems.append(
                    Problem(self.source.file, line, format_loc((*loc, key)),
                            f"duplicate key (first defined at line {first})")
                )
                continue
            self.source.lines[(*loc, key)] = line
            result[key] = self.build(value_node, (*loc, key))
        return result

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.problems.append(self._mark_problem(exc))
            return None
        except ValueError:  # e.g. a timestamp-looking "2026-13-01": let the model judge it
            return node.value

    def _mark_problem(self, exc: yaml.MarkedYAMLError) -> Problem:
        return _syntax_problem(self.source, exc)


def _syntax_problem(source: YamlSource, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    reason = exc.problem or exc.context or "could not read YAML"
    start = exc.context_mark
    if exc.problem and exc.context and start is not None and mark is not None \
            and start.line != mark.line:
        reason += f" ({exc.context} at line {start.line + 1}, column {start.column + 1})"
    if mark is None:
        return Problem(source.file, None, None, f"invalid YAML: {reason}")
    line = mark.line + 1
    context = source.text[mark.line].rstrip() if mark.line < len(source.text) else None
    return Problem(source.file, line, None, f"invalid YAML: {reason}", column=mark.column + 1,
                   context=context)


def parse_yaml(text: str, file: str) -> YamlSource:
    """Parse ``text`` (shown as ``file`` in messages); ConfigError on malformed YAML."""
    source = YamlSource(file=file, data=None, text=text.splitlines())
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            source.data = None
            return source
        source.lines[()] = node.start_mark.line + 1
        builder = _Builder(loader, source)
        source.data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(source, exc)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, None, None, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise ConfigError(builder.problems)
    return source


def load_yaml(path: Path, *, file: str | None = None) -> YamlSource:
    """Read and parse ``path``; ConfigError (not a traceback) when missing or malformed."""
    shown = file or display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(shown, None, None, "file not found")]) from None
    except IsADirectoryError:
        raise ConfigError([Problem(shown, None, None, "is a directory, not a YAML file")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(shown, None, None, f"not UTF-8 text: {exc.reason}")]) from None
    except OSError as exc:
        raise ConfigError([Problem(shown, None, None, f"cannot read: {exc.strerror}")]) from None
    return parse_yaml(text, shown)


# -- ${VAR} placeholders ---------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def expand_env(
    source: YamlSource, env: Mapping[str, str] | None = None, keep: Sequence[Loc] = ()
) -> tuple[YamlSource, list[Problem]]:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string value (``$$`` is a ``$``).

    Placeholders are expanded after parsing, so a value can never inject YAML
    structure. Returns the expanded copy and one problem per unset variable
    without a default (the caller reports them with its other problems).
    Everything under a location in ``keep`` stays as written: its owner expands
    it itself (command lines, whose own placeholders must not meet env values).
    """
    environ = os.environ if env is None else env
    problems: list[Problem] = []

    def expand(value: Any, loc: Loc) -> Any:
        if any(loc[:len(k)] == k for k in keep):
            return value
        if isinstance(value, dict):
            return {k: expand(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [expand(v, (*loc, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "$" not in value:
            return value

        def replace(match: re.Match[str]) -> str:
            name, default = match.group("name"), match.group("default")
            if name is None:
                return "$"
            found = environ.get(name)
            if found:
                return found
            if default is not None:
                return default
            if found is not None:  # set but empty, no default: empty it is
                return found
            problems.append(source.problem(
                loc, f"environment variable {name} is not set "
                     f"(export it, or write ${{{name}:-default}})"))
            return ""

        return _PLACEHOLDER.sub(replace, value)

    data = expand(source.data, ())
    copy = YamlSource(source.file, data, dict(source.lines), source.text, set(source.overridden))
    return copy, problems


# -- pydantic errors → located problems -------------------------------------


class Located(ValueError):
    """Raised inside a model validator to report problems at keys below the model.

    ``Located([(("staging", "dsn"), "is the production database")])`` in the
    validator of ``environments`` is reported at ``environments.staging.dsn``.
    """

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def _data_loc(data: Any, loc: Sequence[str | int]) -> Loc:
    """The part of a pydantic error loc that exists in the input (drops union tags)."""
    clean: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_list or (isinstance(current, dict) and part in current):
            current = current[part]
        elif last and isinstance(current, dict):
            pass  # a missing key: keep it, its parent's line is used
        else:
            continue  # a discriminated-union tag or a validator name
        clean.append(part)
    return tuple(clean)


_TAGS = re.compile(r"'([^']*)'")


def problems_from(
    exc: ValidationError, source: YamlSource, model: type[BaseModel], prefix: Loc = ()
) -> list[Problem]:
    """Every error of ``exc`` as a Problem located in ``source`` (model at ``prefix``)."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        raw: Loc = tuple(error["loc"])
        loc = _data_loc(_at(source.data, prefix), raw)
        where = (*prefix, *loc)
        kind, ctx = error["type"], error.get("ctx") or {}
        value = error.get("input")
        if kind == "value_error" and isinstance(ctx.get("error"), Located):
            for sub, message in ctx["error"].problems:
                problems.append(source.problem((*where, *sub), message))
            continue
        problems.append(_one_problem(source, model, raw, where, kind, ctx, value, error["msg"]))
    return problems


def _one_problem(
    source: YamlSource, model: type[BaseModel], raw: Loc, where: Loc, kind: str,
    ctx: dict[str, Any], value: Any, msg: str,
) -> Problem:
    if kind == "missing":
        return source.problem(where, "required key is missing")
    if kind == "extra_forbidden":
        keys = field_names(model, raw[:-1])
        return source.problem(where, "unknown key" + (f"; valid keys: {', '.join(keys)}"
                                                      if keys else ""),
                              valid=keys or None, suggestion=suggest(where[-1], keys))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag_key = str(ctx.get("discriminator", "")).strip("'") or "kind"
        tags = _TAGS.findall(str(ctx.get("expected_tags", ""))) or [
            str(v) for tp in _type_at(model, raw) if isinstance(tp, type)
            and issubclass(tp, BaseModel) and tag_key in tp.model_fields
            for v in valid_values(tp, (tag_key,))]
        if kind == "union_tag_not_found":
            return source.problem((*where, tag_key), f"required key is missing (one of "
                                                     f"{', '.join(tags)})", valid=tags)
        return source.problem((*where, tag_key),
                              f"{ctx.get('tag')!r} is not one of {', '.join(tags)}",
                              valid=tags, suggestion=suggest(ctx.get("tag"), tags))
    if kind in ("literal_error", "enum"):
        choices = valid_values(model, raw) or _TAGS.findall(str(ctx.get("expected", "")))
        return source.problem(where, f"{_show(value)} is not one of {', '.join(choices)}",
                              valid=choices, suggestion=suggest(value, choices))
    message = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
    if scalar and kind != "value_error":  # our own messages already name the value
        message += f" (got {_show(value)})"
    return source.problem(where, message)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def validate(
    model: type[M], source: YamlSource, *, prefix: Loc = (), context: dict[str, Any] | None = None
) -> M:
    """Validate the data at ``prefix`` of ``source`` as ``model``; ConfigError with every
    problem located in the file."""
    data = _at(source.data, prefix)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(problems_from(exc, source, model, prefix)) from None


def _members(tp: Any) -> list[Any]:
    """``tp`` without Annotated/Optional wrappers, as the list of its union members."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a) if m is not type(None)]
    return [tp]


def _type_at(model: type[BaseModel], loc: Loc) -> list[Any]:
    """The possible types at pydantic error ``loc`` inside ``model`` (union tags consumed)."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for tp in current:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                found = tp.model_fields.get(str(part))
                if found is not None:
                    following += _members(found.annotation)
            elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
                following += _members(typing.get_args(tp)[0])
            elif origin is dict:
                following += _members(typing.get_args(tp)[1])
        if not following:  # a discriminated-union tag: keep the member it names
            following = [tp for tp in current if part in _tags(tp)]
        current = following
    return current


def _tags(tp: Any) -> list[Any]:
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return []
    return [v for f in tp.model_fields.values() for m in _members(f.annotation)
            if typing.get_origin(m) is typing.Literal for v in typing.get_args(m)]


def field_names(model: type[BaseModel], loc: Loc) -> list[str]:
    """Keys accepted by the model at ``loc`` (for "unknown key" messages)."""
    names: list[str] = []
    for tp in _type_at(model, loc):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            names += [n for n in tp.model_fields if n not in names]
    return names


def valid_values(model: type[BaseModel], loc: Loc) -> list[str]:
    """The closed set of values accepted at ``loc`` (Literal or Enum), else []."""
    values: list[str] = []
    for tp in _type_at(model, loc):
        if typing.get_origin(tp) is typing.Literal:
            values += [str(v) for v in typing.get_args(tp)]
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            values += [str(m.value) for m in tp]
    return values
