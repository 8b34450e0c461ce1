"""Case forms, plurals and the reserved words of every language a project is generated in.

The templates never derive a name themselves: everything they print is computed here once, so
that a word like `type`, `range` or `date` is handled in one place for all stacks.
"""

import keyword
import re

from pydantic import BaseModel

SNAKE_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*\Z")
PROJECT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*\Z")

# Words whose plural does not follow the suffix rules below.
IRREGULAR_PLURALS = {
    "child": "children",
    "person": "people",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "goose": "geese",
    "tooth": "teeth",
    "foot": "feet",
    "ox": "oxen",
    "datum": "data",
    "index": "indices",
    "matrix": "matrices",
    "criterion": "criteria",
    "analysis": "analyses",
    "thesis": "theses",
    "leaf": "leaves",
    "life": "lives",
    "knife": "knives",
    "wife": "wives",
    "half": "halves",
    "shelf": "shelves",
    "wolf": "wolves",
    "photo": "photos",
    "piano": "pianos",
    "video": "videos",
    "radio": "radios",
    "zoo": "zoos",
    "quiz": "quizzes",
}
UNCOUNTABLE = {"sheep", "fish", "series", "species", "deer", "news", "equipment", "information"}

# Resource plurals the generated project already uses for its own tables, packages or routes.
RESERVED_PLURALS = frozenset(
    {"jobs", "core", "tests", "migrations", "alembic_versions", "goose_db_versions"}
    # Modules of the generated Python package (`models.py` lists every model; `main.py` is the
    # app) and its own test file: a resource package or test file of that name would shadow it.
    | {"models", "main", "health"}
)
# Exported names of the generated Go store package: a resource's row type may not take them.
GO_STORE_NAMES = frozenset(
    {"Store", "Options", "Open", "Date", "ParseDate", "Change", "Job", "JobFilter", "NotFoundError"}
)
# What `--auth` adds: tables a resource may not take, and exported names of the Go store
# (store/auth.go) a resource's row type may not take.
AUTH_TABLES = frozenset({"users", "tokens", "auth_attempts", "auth"})
AUTH_GO_STORE_NAMES = frozenset({"User", "TokenPurpose", "ErrEmailTaken", "ErrNoToken"})
# Module-level names of the generated Python modules. A field with one of these names gets a
# trailing underscore as its Python attribute (the API and the column keep the user's name).
PY_SHADOWED = frozenset(
    {"dt", "uuid", "sa", "Field", "Mapped", "mapped_column", "metadata", "registry"}
    # Builtins the models and schemas annotate with: after a field `str`, `title: str` in the
    # same class body names that field, which mypy --strict rejects.
    | {"str", "int", "float", "bool"}
    # pydantic.BaseModel attributes a field may not shadow (`model_dump` is even an error).
    | {"copy", "dict", "json", "schema", "validate", "construct", "fields", "model_config"}
    | {name for name in dir(BaseModel) if not name.startswith("_")}
)
# Initialisms Go spells in capitals (Go's own style: ID, URL, HTTP).
GO_INITIALISMS = frozenset(
    "api ascii cpu css dns eof guid html http https id ip json lhs qps ram rhs rpc sla smtp sql "
    "ssh tcp tls ttl udp ui uid uuid uri url utf8 vm xml xmpp xsrf xss".split()
)


def is_python_keyword(word: str) -> bool:
    """True for the hard keywords a Python identifier can never be (soft ones like `type` work)."""
    return keyword.iskeyword(word)


def pluralize(word: str) -> str:
    """English plural of the last part of a snake_case word: `order_item` -> `order_items`."""
    head, _, last = word.rpartition("_")
    prefix = f"{head}_" if head else ""
    if last in UNCOUNTABLE:
        return word
    if last in IRREGULAR_PLURALS:
        return prefix + IRREGULAR_PLURALS[last]
    if re.search(r"(s|x|z|ch|sh)$", last):
        return f"{word}es"
    if re.search(r"[^aeiou]y$", last):
        return f"{word[:-1]}ies"
    return f"{word}s"


def pascal(snake: str) -> str:
    """`order_item` -> `OrderItem`."""
    return "".join(part.capitalize() for part in snake.split("_"))


def camel(snake: str) -> str:
    """`order_item` -> `orderItem`."""
    first, *rest = snake.split("_")
    return first + "".join(part.capitalize() for part in rest)


def title(snake: str) -> str:
    """`order_item` -> `Order item` (for prose and docs)."""
    return snake.replace("_", " ").capitalize()


def go_exported(snake: str) -> str:
    """Exported Go identifier with Go's initialisms: `user_id` -> `UserID`, `url` -> `URL`."""
    return "".join(
        part.upper() if part in GO_INITIALISMS else part.capitalize() for part in snake.split("_")
    )


def check_snake(what: str, name: str) -> None:
    """Refuse (ValueError) a resource or field name that is not snake_case or is a keyword."""
    if not SNAKE_RE.match(name):
        suggestion = to_snake(name)
        raise ValueError(
            f"{what} name {name!r} is not snake_case (lowercase letters, digits and single "
            f"underscores, starting with a letter); try {suggestion!r}"
        )
    if is_python_keyword(name):
        raise ValueError(
            f"{what} name {name!r} is a Python keyword and cannot be an attribute; "
            f"try {name}_name or a synonym"
        )


def to_snake(name: str) -> str:
    """A snake_case suggestion for a name that is not: `OrderItem` -> `order_item`."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    snake = re.sub(r"[^a-z0-9]+", "_", snake).strip("_")
    return snake if snake and snake[0].isalpha() else f"x_{snake}"
