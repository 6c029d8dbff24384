"""Reading YAML input files into Pydantic models, with errors that name the field and line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from models.common import ID_MAX_LENGTH, NUL_MESSAGE, has_nul

if TYPE_CHECKING:  # PyYAML loads when a file is read: a command that reads none never pays for it
    import yaml

M = TypeVar("M", bound=BaseModel)

# Ledger ids are INTEGER columns: 32-bit on PostgreSQL. A larger number names no row; looking it
# up would fail in the driver (SQLite: OverflowError, PostgreSQL: out of range) instead.
MAX_LEDGER_ID = 2**31 - 1


def is_ledger_id(value: int) -> bool:
    """True when ``value`` can be the id of a ledger row (callers answer "no such row" if not)."""
    return isinstance(value, int) and 0 < value <= MAX_LEDGER_ID


def check_actor_id(value: str) -> str | None:
    """Why ``value`` cannot be a person or actor id, or None: the same answer on SQLite and on
    PostgreSQL (whose 64-character columns and text would refuse it with a traceback)."""
    if has_nul(value):
        return NUL_MESSAGE
    if len(value) > ID_MAX_LENGTH:
        return f"a person id has at most {ID_MAX_LENGTH} characters, not {len(value)}"
    return None


def check_text(**fields: object) -> None:
    """Refuse the first of ``fields`` (plain string parameters bound for the ledger) holding a
    NUL character, naming it."""
    for name, value in fields.items():
        if has_nul(value):
            raise input_error(name, NUL_MESSAGE)


ECHO_LIMIT = 80  # characters of a value a person typed, quoted back in an error message
_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"')
# A key of an input file shown back as "unknown field": a field-like name, not a line of
# whatever foreign file was given by mistake.
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,39}$")


def shorten_echoes(message: str, limit: int = ECHO_LIMIT) -> str:
    """``message`` with every quoted value (``'…'``, as ``!r`` writes it) longer than ``limit``
    characters cut to ``limit`` and marked with ``…``."""

    def cut(match: re.Match[str]) -> str:
        quoted = match.group(0)
        if len(quoted) <= limit + 2:
            return quoted
        return quoted[: limit + 1] + "…" + quoted[-1]

    return _QUOTED.sub(cut, message)


@dataclass(frozen=True)
class Problem:
    loc: tuple[str | int, ...]
    message: str
    line: int | None = None
    kind: str = ""  # pydantic's error type (``missing``, ``string_too_long``…), if it found it
    ctx: tuple[tuple[str, Any], ...] = ()  # that error's context (``max_length``…)

    def render(self, source: str | None = None) -> str:
        where = format_loc(self.loc) or "(top level)"
        prefix = f"{source}" if source else ""
        if self.line is not None:
            prefix = f"{prefix} line {self.line}" if prefix else f"line {self.line}"
        message = shorten_echoes(self.message)
        return f"{prefix}: {where}: {message}" if prefix else f"{where}: {message}"


class InputError(ValueError):
    """Bad input, found before anything was written. ``str()`` is the text a user sees."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(p.render(source) for p in self.problems))


def input_error(field: str | tuple[str | int, ...], message: str) -> InputError:
    """The one way to refuse one field: ``raise input_error("verifier", "... is not ...")``."""
    loc = (field,) if isinstance(field, str) else tuple(field)
    return InputError([Problem(loc, message)])


def format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from(exc: ValidationError, node: yaml.Node | None = None) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
            if loc and not (isinstance(loc[-1], str) and _FIELD_NAME.match(loc[-1])):
                # Not a field name: likely a line of a file given by mistake; do not echo it.
                line = line_of(node, loc)
                hidden = (*loc[:-1], "(a key that is no field name)")
                problems.append(Problem(hidden, message, line))
                continue
        elif message.startswith("Keys should be strings"):  # e.g. a YAML key `null` or `1`
            message = "unknown field (field names are text)"
        ctx = tuple(sorted((err.get("ctx") or {}).items()))
        problems.append(Problem(loc, message, line_of(node, loc), err["type"], ctx))
    return problems


def line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the YAML node at ``loc``, or of its nearest existing parent."""
    if node is None:
        return None
    import yaml  # loaded already: `node` came from it

    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child, line = value, key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML input file no larger than ``OFFICEFLOW_INPUT_MAX_BYTES`` (1 MiB): a larger
    one is refused before it is parsed (reading stops at the limit, so a device or a pipe
    cannot fill memory either)."""
    import yaml

    from officeflow.settings import get_settings
    from rules.yaml_loader import TextDatesLoader

    source = str(path)
    limit = get_settings().input_max_bytes
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
        if len(raw) > limit:
            message = (
                f"file too large: over {_size(limit)}, the limit "
                "(OFFICEFLOW_INPUT_MAX_BYTES); is this the right file?"
            )
            raise InputError([Problem((), message)], source)
        text = raw.decode("utf-8")
    except OSError as exc:
        raise InputError([Problem((), f"cannot read file: {exc.strerror}")], source) from exc
    except UnicodeDecodeError as exc:
        message = f"cannot read file: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        raise InputError([Problem((), message)], source) from exc
    try:
        node = yaml.compose(text, Loader=TextDatesLoader)
        data = yaml.load(text, Loader=TextDatesLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem((), f"not valid YAML: {reason}", line)], source) from exc
    return data, node


def _size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def load_yaml_model(path: Path, model: type[M]) -> tuple[M, yaml.Node | None]:
    data, node = read_yaml(path)
    if data is None:
        data = {}
    try:
        return model.model_validate(data), node
    except ValidationError as exc:
        raise InputError(problems_from(exc, node), str(path)) from exc


def validate_model(model: type[M], data: Any, source: str | None = None) -> M:
    """Validate a dict (a flow parameter, a CLI option set) with the same error text."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc), source) from exc


# --- a problem said to a person on a page, in the page's language -------------------------------

# Pydantic's error types, as a Chinese sentence about the field ``{label}`` (with the error's
# context: ``{max_length}``, ``{ge}``…).
_ZH_BY_KIND = {
    "missing": "请填写「{label}」。",
    "string_too_long": "「{label}」最多 {max_length} 个字。",
    "string_too_short": "「{label}」至少 {min_length} 个字。",
    "too_long": "「{label}」最多 {max_length} 项。",
    "too_short": "「{label}」至少 {min_length} 项。",
    "int_parsing": "「{label}」须为整数。",
    "int_type": "「{label}」须为整数。",
    "int_from_float": "「{label}」须为整数。",
    "float_parsing": "「{label}」须为数字。",
    "float_type": "「{label}」须为数字。",
    "decimal_parsing": "「{label}」须为数字。",
    "greater_than_equal": "「{label}」不能小于 {ge}。",
    "less_than_equal": "「{label}」不能大于 {le}。",
    "greater_than": "「{label}」须大于 {gt}。",
    "less_than": "「{label}」须小于 {lt}。",
    "date_parsing": "「{label}」须为日期（年-月-日，如 2026-10-16）。",
    "date_type": "「{label}」须为日期（年-月-日，如 2026-10-16）。",
    "date_from_datetime_parsing": "「{label}」须为日期（年-月-日，如 2026-10-16）。",
    "date_from_datetime_inexact": "「{label}」须为日期（年-月-日，如 2026-10-16）。",
    "datetime_parsing": "「{label}」须为日期和时间。",
    "datetime_type": "「{label}」须为日期和时间。",
    "datetime_from_date_parsing": "「{label}」须为日期和时间。",
    "enum": "「{label}」须从所列选项中选择。",
    "literal_error": "「{label}」须从所列选项中选择。",
    "bool_parsing": "「{label}」须为“是”或“否”。",
    "bool_type": "「{label}」须为“是”或“否”。",
    "list_type": "「{label}」须每行填写一项。",
    "extra_forbidden": "「{label}」不是可填写的项目。",
    "json_invalid": "「{label}」的格式不正确。",
    "model_type": "「{label}」的格式不正确。",
    "model_attributes_type": "「{label}」的格式不正确。",
    "dict_type": "「{label}」的格式不正确。",
    "string_type": "「{label}」须为文字。",
}

# The office's own refusals (``input_error(field, "...")``, English for the CLI), as Chinese
# sentences: the pattern of the English message, then the sentence (``{label}`` and the groups).
_ZH_BY_MESSAGE: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^the new date (\S+) is not after the current deadline (\S+)$"),
        "「{label}」须晚于当前时限 {2}（填写的是 {1}）。",
    ),
    (re.compile(r"^(\S+) is not a working day\b"), "「{label}」{1} 不是工作日，请选择工作日。"),
    (
        re.compile(r"^'(.+)' is not an accepted type \((.*); OFFICEFLOW_FILE_TYPES\)$"),
        "「{label}」「{1}」不是可接受的文件类型（可接受的类型：{2}）。",
    ),
    (
        re.compile(r"^'(.+)' is (?:\d+ bytes; the limit is|larger than the limit of) (\d+)"),
        "「{label}」「{1}」超过了大小上限（{mb} MB）。",
    ),
    (re.compile(r"^progress must be a whole number"), "「{label}」须为 0 到 100 之间的整数。"),
    (re.compile(r"^unknown person '(.+)'$"), "「{label}」：没有编号为「{1}」的人员。"),
    (re.compile(r"^unknown department '(.+)'$"), "「{label}」：没有编号为「{1}」的单位。"),
    (re.compile(r"needs? a reason$"), "请填写「{label}」。"),
    (re.compile(r"must not be empty|is required$"), "请填写「{label}」。"),
    (re.compile(re.escape(NUL_MESSAGE)), "「{label}」含有不可见的空字符，请删除后重新提交。"),
]

# Labels of fields that are no input model's (the attached files of a hand page).
COMMON_LABELS = {"files": ("附件", "Files"), "object": ("事项", "Item")}


def say(problem: Problem, lang: str, labels: dict[str, tuple[str, str]] | None = None) -> str:
    """``problem`` as one sentence for a page in ``lang`` (``zh-CN`` or ``en``), naming the
    field by its label (``labels``: field name → (中文, English), as the form shows it) rather
    than its name. In zh-CN the sentence is Chinese throughout: a message with no Chinese
    rendering says the field is wrong, without the English text."""
    labels = {**COMMON_LABELS, **(labels or {})}
    zh = lang == "zh-CN"
    field = next((p for p in problem.loc if isinstance(p, str)), None)
    item = next((p for p in problem.loc if isinstance(p, int)), None)
    zh_label, en_label = labels.get(field or "", (field or "", field or ""))
    if not zh_label:
        zh_label, en_label = "填写的内容", "The form"
    if item is not None and field != "files":
        zh_label, en_label = f"{zh_label}第 {item + 1} 项", f"{en_label}, item {item + 1}"
    if not zh:
        return f"{en_label}: {shorten_echoes(problem.message)}"
    ctx = dict(problem.ctx)
    sentence = _ZH_BY_KIND.get(problem.kind)
    if sentence is not None and problem.kind != "value_error":
        try:
            return sentence.format(label=zh_label, **ctx)
        except (KeyError, IndexError):
            pass
    message = problem.message.removeprefix("Value error, ")
    for pattern, text in _ZH_BY_MESSAGE:
        found = pattern.search(message)
        if found:
            groups = [shorten_echoes(g or "", 40) for g in found.groups()]
            mb = ""
            if "{mb}" in text:
                mb = f"{int(found.group(found.lastindex or 0)) / 1024 / 1024:.1f}"
            return text.format(zh_label, *groups, label=zh_label, mb=mb)
    return f"「{zh_label}」填写有误，请核对后重新填写。"


def say_all(
    error: InputError, lang: str, labels: dict[str, tuple[str, str]] | None = None
) -> list[str]:
    """Every problem of ``error`` as a sentence in ``lang`` (`say`)."""
    return [say(p, lang, labels) for p in error.problems]
