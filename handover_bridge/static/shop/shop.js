// The demo shop's own script. It passes the shop's metadata to the Jieli widget (customer, tier,
// the order being looked at, the page), and runs a tiny cart. Deferred, so it runs after widget.js.
"use strict";

const PRICE = 19.9;
const CART_KEY = "demo-shop:cart";

Jieli.init({
  customer: {id: "u20241115", tier: "vip"},
  order: "2024111500034503",
  page: "接力优选 · 商品与订单",
});

function loadCart() {
  try { return JSON.parse(localStorage.getItem(CART_KEY)) || []; } catch (_) { return []; }
}

function saveCart(items) {
  try { localStorage.setItem(CART_KEY, JSON.stringify(items)); } catch (_) { /* private mode */ }
}

function renderCart() {
  const items = loadCart();
  const list = document.getElementById("cart-items");
  list.replaceChildren(...items.map((item, index) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `999 感冒灵颗粒 10g×9袋 × ${item.qty}`;
    const price = document.createElement("span");
    price.textContent = `¥${(item.qty * PRICE).toFixed(2)}`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "删除";
    remove.addEventListener("click", () => {
      const next = loadCart();
      next.splice(index, 1);
      saveCart(next);
      renderCart();
    });
    li.append(name, price, remove);
    return li;
  }));
  const qty = items.reduce((sum, item) => sum + item.qty, 0);
  document.getElementById("cart-empty").hidden = items.length > 0;
  document.getElementById("cart-count").textContent = String(qty);
  document.getElementById("cart-total").textContent = `¥${(qty * PRICE).toFixed(2)}`;
}

document.getElementById("add-to-cart").addEventListener("click", () => {
  const qty = Math.max(1, Math.min(9, Number(document.getElementById("qty").value) || 1));
  saveCart([...loadCart(), {qty}]);
  renderCart();
});
document.getElementById("ask").addEventListener("click", () => Jieli.open());
for (const button of document.querySelectorAll(".ask-order")) {
  button.addEventListener("click", () => Jieli.open());
}
renderCart();
