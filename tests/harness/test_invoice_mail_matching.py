"""The outbound step's matching of invoice numbers to captured subjects (linear, exact)."""

from __future__ import annotations

from steps.outbound import _by_number


def test_numbers_are_found_as_whole_words_only() -> None:
    mails = [{"subject": "Your invoice INV-10 for November"},
             {"subject": "Invoice INV-1, due 2026-12-01"},
             {"subject": "Rechnung 2026/11/0042."}]
    index = _by_number(mails)
    assert [m["subject"] for m in index["INV-1"]] == ["Invoice INV-1, due 2026-12-01"]
    assert [m["subject"] for m in index["INV-10"]] == ["Your invoice INV-10 for November"]
    assert [m["subject"] for m in index["2026/11/0042"]] == ["Rechnung 2026/11/0042."]
    assert "INV-100" not in index


def test_a_subject_naming_a_number_twice_counts_once_and_two_mails_count_twice() -> None:
    mails = [{"subject": "INV-7 (copy of INV-7)"}, {"subject": "Reminder: INV-7"}]
    assert len(_by_number(mails)["INV-7"]) == 2


def test_ten_thousand_invoices_index_in_one_pass() -> None:
    mails = [{"subject": f"Invoice INV-{n:06d} for November"} for n in range(10_000)]
    index = _by_number(mails)
    assert all(len(index[f"INV-{n:06d}"]) == 1 for n in range(10_000))
