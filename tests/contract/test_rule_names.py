"""Rule ids read back out of failure messages: the reports group and count by them."""

from __future__ import annotations

from oms_harness.contract.rule_names import UNNAMED, check_name, rule_ids
from oms_harness.contract.rules import Violation


def test_the_first_named_rule_is_the_check_name() -> None:
    text = f"{Violation('schema.200', 'x')}; {Violation('balance-value.type', 'y')} (GET /a)"
    assert check_name(text) == "schema.200"
    assert rule_ids(text) == ["schema.200", "balance-value.type"]


def test_each_id_once_in_order_of_mention() -> None:
    assert rule_ids("[b.x] 1 [a] 2 [b.x] 3") == ["b.x", "a"]


def test_the_rule_id_comes_first_so_later_brackets_do_not_count() -> None:
    message = "[balance-value.expected] value 1, expected 2 (profile [expected.funded] USD)"
    assert check_name(message) == "balance-value.expected"


def test_a_message_without_a_rule_is_unnamed() -> None:
    assert check_name("timeout [Errno 110]") == UNNAMED  # upper case: not an id
    assert check_name("") == UNNAMED
