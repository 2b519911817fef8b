// @ts-check
// Agent protection on screen: a text that may be abusive is hidden behind a button until the agent
// chooses to read it (protect.js decides what is abusive).
import {h} from "./dom.js";

/**
 * `text` as a span, or, when `masked`, a button that reveals it (then `onReveal()`).
 * @param {string} text
 * @param {boolean} masked
 * @param {() => void} [onReveal]
 * @returns {HTMLElement}
 */
export function maskedText(text, masked, onReveal) {
  if (!masked) return h("span", {class: "text", text});
  const holder = h("span", {class: "masked-holder"});
  const button = h("button", {class: "masked", type: "button", title: "点击查看原文"}, "该消息可能含有不当言辞，点击查看");
  button.addEventListener("click", () => {
    holder.replaceChildren(h("span", {class: "text revealed", text}), h("span", {class: "badge warn small", text: "不当言辞"}));
    if (onReveal) onReveal();
  });
  holder.append(button);
  return holder;
}
