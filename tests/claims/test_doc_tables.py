"""Known answers for the readers of hand-typed docs tables (``tenfold.claims.doc_tables``)."""

import pytest

from tenfold.claims.doc_tables import rounds_to, table_after

PAGE = """# page

| other | table |
|---|---|
| x | 1 |

### Section

Text before the table.

| method | N = 1 | N = 5 |
|---|---|---|
| **`ours`** | 63.0 ± 9.2 | 70.1 |
| `theirs` | −1.5 | 2 |

after
| not | this |
"""


def test_table_after_reads_the_first_table_after_the_anchor_without_bold_and_spaces():
    header, rows = table_after(PAGE, "### Section")
    assert header == ["method", "N = 1", "N = 5"]
    assert rows == [["`ours`", "63.0 ± 9.2", "70.1"], ["`theirs`", "−1.5", "2"]]


def test_table_after_with_a_header_prefix_skips_other_tables():
    assert table_after(PAGE, "# page", "| method |")[1][1][0] == "`theirs`"
    with pytest.raises(ValueError, match="no table"):
        table_after(PAGE, "### Section", "| missing |")
    with pytest.raises(ValueError):
        table_after(PAGE, "no such anchor")


@pytest.mark.parametrize("shown, exact, ok", [
    ("0.98", 0.9849, True), ("0.98", 0.9851, False), ("0.98", 0.975, True),
    ("−1.5", -1.54, True), ("−1.5", 1.5, False), ("2", 2.4, True), ("2", 2.6, False),
])
def test_rounds_to_accepts_exactly_the_values_that_round_to_the_shown_decimals(shown, exact, ok):
    assert rounds_to(shown, exact) is ok
