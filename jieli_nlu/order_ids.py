"""Find the shop's order numbers in (normalised) customer text.

Pure functions, shared by the Rasa entity extractor and anything else that needs the same rule.
An order number is reported as digits only, with its character span in the text:

* after a keyword — 订单号 / 订单编号 / 单号 / 订单 / 编号 / order (no|id) — 6 to 20 digits, which
  may be split by spaces or dashes ("单号: 2024 1123 0001 2345");
* anywhere else, a bare run of 12 to 20 digits (shorter numbers are prices, phone tails, dates).

Run it on normalised text (`jieli_nlu.normalize.normalize_text`), so full-width digits and
Traditional keywords (訂單號) are already folded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEYWORD = r"(?:订单编号|订单号码|订单号|快递单号|运单号|单号|订单|编号|order\s*(?:no\.?|id|number|#)?)"
_AFTER_KEYWORD = re.compile(_KEYWORD + r"\s*(?:是|为|:|#|=|\s)*\s*(\d(?:[\d]|[\s-](?=\d)){5,29})")
_BARE = re.compile(r"(?<!\d)\d{12,20}(?!\d)")


@dataclass(frozen=True)
class OrderIdMatch:
    value: str
    start: int
    end: int


def find_order_ids(text: str) -> list[OrderIdMatch]:
    """Every order number in ``text``, in order of appearance, without overlaps."""
    found: list[OrderIdMatch] = []
    taken: list[tuple[int, int]] = []
    for match in _AFTER_KEYWORD.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        if 6 <= len(digits) <= 20:
            found.append(OrderIdMatch(digits, match.start(1), match.end(1)))
            taken.append((match.start(1), match.end(1)))
    for match in _BARE.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        found.append(OrderIdMatch(match.group(0), match.start(), match.end()))
    return sorted(found, key=lambda m: m.start)
