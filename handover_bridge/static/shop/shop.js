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

// ---- 模拟登录 / 退出 (demo mode only): the bridge's demo endpoint signs a seeded customer as a shop's
// backend would; the widget passes the signed token on, and the agent sees a verified customer.
const LOGIN_KEY = "demo-shop:customer";

async function demoToken(customerId) {
  const response = await fetch("/api/demo/identity", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({customer_id: customerId}), cache: "no-store"});
  const data = await response.json();
  if (!response.ok) throw new Error((data.error && data.error.message) || "登录失败");
  return data;
}

function showLogin(customer) {
  const box = document.getElementById("demo-login");
  box.classList.toggle("verified", Boolean(customer));
  document.getElementById("login-state").textContent = customer
    ? `已登录：${customer.name}（${customer.customer_id}${customer.tier ? " · " + customer.tier.toUpperCase() : ""}），客服会看到“已验证身份”。`
    : "未登录：客服看到的是匿名顾客，页面传给客服的顾客信息只算“顾客自述”。";
  document.getElementById("shop-user").textContent = customer ? `您好，${customer.name}` : "您好，游客";
  document.getElementById("login-pick").hidden = Boolean(customer);
  document.getElementById("demo-login-btn").hidden = Boolean(customer);
  document.getElementById("demo-logout-btn").hidden = !customer;
}

async function logIn(customerId) {
  const {identity_token: token, customer} = await demoToken(customerId);
  localStorage.setItem(LOGIN_KEY, customerId);
  showLogin(customer);
  await Jieli.login(token).catch(() => null);   // a running chat of another customer starts afresh
}

document.getElementById("demo-login-btn").addEventListener("click", () =>
  logIn(document.getElementById("demo-customer").value).catch((error) => alert(error.message)));
document.getElementById("demo-logout-btn").addEventListener("click", () => {
  localStorage.removeItem(LOGIN_KEY);
  showLogin(null);
  Jieli.logout();
});
const savedLogin = localStorage.getItem(LOGIN_KEY);
if (savedLogin) logIn(savedLogin).catch(() => { localStorage.removeItem(LOGIN_KEY); showLogin(null); });
else showLogin(null);
