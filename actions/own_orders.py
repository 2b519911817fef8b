"""Which of a logged-in customer's own orders a message means when it gives no number
("我的耳机今天能到吗", "我的快递到哪了"): pure functions over the orders the shop listed.

* The product named: an order whose goods share a word with the message that no other order of
  theirs has (character pairs of the item names: 蓝牙耳机 → 蓝牙, 牙耳, 耳机) is the one meant, when
  exactly one order has the most such words.
* Nothing named: the one order still on its way (paid or shipped), when there is exactly one.

Anything else (two orders with earphones, two parcels on the way, no order at all) is not a guess
the bot should make: it asks for the number as before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from actions.shop.base import Order

OPEN = ("paid", "shipped")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


def _pairs(text: str) -> set[str]:
    return {run[i : i + 2] for run in _HAN.findall(text or "") for i in range(len(run) - 1)}


def _goods_pairs(order: Order) -> set[str]:
    return set().union(*(_pairs(item.name) for item in order.items)) if order.items else set()


def meant_order(orders: Sequence[Order], text: str) -> Order | None:
    """The order of ``orders`` that the (normalised) ``text`` is about, or None when unsure."""
    if not orders:
        return None
    pairs = {order.order_id: _goods_pairs(order) for order in orders}
    seen_in = Counter(pair for order_pairs in pairs.values() for pair in order_pairs)
    asked = _pairs(text)
    scores = {
        order.order_id: sum(1 for pair in pairs[order.order_id] if pair in asked and seen_in[pair] == 1)
        for order in orders
    }
    best = max(scores.values())
    if best > 0:
        top = [order for order in orders if scores[order.order_id] == best]
        return top[0] if len(top) == 1 else None
    if any(pair in asked for pair in seen_in):
        return None  # names goods several orders hold ("我的接力…"): not sure which
    on_the_way = [order for order in orders if order.status in OPEN]
    return on_the_way[0] if len(on_the_way) == 1 else None
