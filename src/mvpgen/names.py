"""Case forms, plurals and the reserved words of every language a project is generated in.

The templates never derive a name themselves: everything they print is computed here once, so
that a word like `type`, `range` or `date` is handled in one place for all stacks.
"""

import keyword
import re

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

# Go keywords and predeclared identifiers: a generated local variable must not be one of these.
GO_RESERVED = frozenset(
    """break case chan const continue default defer else fallthrough for func go goto if import
    interface map package range return select struct switch type var
    any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32
    int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil
    append cap clear close complex copy delete imag len make max min new panic print println
    real recover
    context errors fmt http json slog sql strconv strings time""".split()
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


def go_local(snake: str, suffix: str) -> str:
    """Unexported Go identifier that never collides with a keyword or an imported package.

    `type` would not compile as a variable name, so it becomes `typeItem` (with suffix `Item`).
    """
    name = camel(snake)
    return name + suffix if name in GO_RESERVED else name
