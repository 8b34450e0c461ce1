import re

import pytest

from helpers import TRICKY_WORDS
from mvpgen import names


@pytest.mark.parametrize(
    "word, plural",
    [
        # regular
        ("product", "products"),
        ("order", "orders"),
        ("user", "users"),
        ("key", "keys"),
        ("day", "days"),
        ("house", "houses"),
        # -es after s, x, z, ch, sh
        ("status", "statuses"),
        ("address", "addresses"),
        ("bus", "buses"),
        ("box", "boxes"),
        ("buzz", "buzzes"),
        ("match", "matches"),
        ("dish", "dishes"),
        # consonant + y -> ies; vowel + y stays
        ("category", "categories"),
        ("city", "cities"),
        ("toy", "toys"),
        # irregular
        ("person", "people"),
        ("child", "children"),
        ("mouse", "mice"),
        ("index", "indices"),
        ("analysis", "analyses"),
        ("leaf", "leaves"),
        ("knife", "knives"),
        ("photo", "photos"),
        ("quiz", "quizzes"),
        ("datum", "data"),
        # uncountable
        ("sheep", "sheep"),
        ("fish", "fish"),
        ("series", "series"),
        ("news", "news"),
        ("information", "information"),
    ],
)
def test_pluralize(word: str, plural: str) -> None:
    assert names.pluralize(word) == plural


@pytest.mark.parametrize(
    "word, plural",
    [
        ("order_item", "order_items"),
        ("line_status", "line_statuses"),
        ("product_category", "product_categories"),
        ("sales_person", "sales_people"),
        ("grand_child", "grand_children"),
        ("search_index", "search_indices"),
        ("news_feed", "news_feeds"),
        ("breaking_news", "breaking_news"),
        ("black_sheep", "black_sheep"),
    ],
)
def test_pluralize_changes_only_the_last_word_of_a_compound(word: str, plural: str) -> None:
    assert names.pluralize(word) == plural


def test_pluralize_matches_whole_words_only() -> None:
    # "salesperson" is not "person"; "x_person" is.
    assert names.pluralize("salesperson") == "salespersons"
    assert names.pluralize("sheepdog") == "sheepdogs"


@pytest.mark.parametrize(
    "snake, pascal, camel",
    [
        ("order", "Order", "order"),
        ("order_item", "OrderItem", "orderItem"),
        ("user_id", "UserId", "userId"),
        ("line_2_total", "Line2Total", "line2Total"),
        ("a", "A", "a"),
    ],
)
def test_pascal_and_camel(snake: str, pascal: str, camel: str) -> None:
    assert names.pascal(snake) == pascal
    assert names.camel(snake) == camel


def test_title() -> None:
    assert names.title("order_item") == "Order item"
    assert names.title("people") == "People"


@pytest.mark.parametrize(
    "snake, exported",
    [
        ("id", "ID"),
        ("url", "URL"),
        ("user_id", "UserID"),
        ("api_key", "APIKey"),
        ("image_url", "ImageURL"),
        ("http_url_id", "HTTPURLID"),
        ("uuid", "UUID"),
        ("json_body", "JSONBody"),
        ("order_item", "OrderItem"),
        ("type", "Type"),
        ("identity", "Identity"),  # only whole words are initialisms
        ("idea_list", "IdeaList"),
    ],
)
def test_go_exported_spells_initialisms_in_capitals(snake: str, exported: str) -> None:
    assert names.go_exported(snake) == exported


@pytest.mark.parametrize("word", TRICKY_WORDS)
def test_reserved_elsewhere_is_not_a_python_keyword(word: str) -> None:
    # Soft keywords (match, case, type) and SQL or Go words are fine as Python attributes.
    assert not names.is_python_keyword(word)


# Python's hard keywords, written out: checking `is_python_keyword` against `keyword.kwlist`
# would check `keyword.iskeyword` against itself.
HARD_KEYWORDS = (
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try while "
    "with yield"
).split()


@pytest.mark.parametrize("word", HARD_KEYWORDS)
def test_python_keywords(word: str) -> None:
    assert names.is_python_keyword(word)


@pytest.mark.parametrize("word", ["match", "case", "type", "_", "print", "self"])
def test_soft_keywords_and_builtins_are_not_hard_keywords(word: str) -> None:
    assert not names.is_python_keyword(word)


@pytest.mark.parametrize(
    "name, ok",
    [
        ("order", True),
        ("order_item", True),
        ("line2", True),
        ("a", True),
        ("Order", False),
        ("orderItem", False),
        ("order__item", False),
        ("_order", False),
        ("order_", False),
        ("2order", False),
        ("order-item", False),
        ("", False),
        ("ordér", False),
    ],
)
def test_snake_re(name: str, ok: bool) -> None:
    assert bool(names.SNAKE_RE.match(name)) is ok


@pytest.mark.parametrize(
    "regex, text", [(names.SNAKE_RE, "order\n"), (names.PROJECT_NAME_RE, "shop\n")]
)
def test_name_patterns_refuse_a_trailing_newline(regex: re.Pattern[str], text: str) -> None:
    # `$` matches before a final newline: "shop\n" must not become a folder and a package.
    assert not regex.match(text)
