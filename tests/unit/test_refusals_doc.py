"""docs/refusals.md lists every bad-input case the tests check, and nothing else."""

from __future__ import annotations

import refusals_doc


def test_the_refusals_page_is_made_from_the_current_tests():
    assert refusals_doc.DOC.read_text() == refusals_doc.render(), (
        "docs/refusals.md is not current: python tests/unit/refusals_doc.py --write")


def test_there_are_at_least_sixty_distinct_refusals():
    rows = [line for line in refusals_doc.render().splitlines() if line.startswith("| ") and line[2].isdigit()]
    given = {(row.split(" | ")[1], row.split(" | ")[2]) for row in rows}
    assert len(rows) >= 60 and len(given) == len(rows), len(rows)
