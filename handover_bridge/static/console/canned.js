// @ts-check
// Canned replies the team can edit: kept in localStorage (this browser), with Chinese defaults.
const KEY = "jieli-console:canned:v1";

export const DEFAULT_CANNED = [
  {title: "问候", text: "您好，我是人工客服，刚才您和智能助手的聊天记录我都看到了，您不用再重复说明，我来帮您处理。"},
  {title: "稍等", text: "好的，我马上为您查询，请稍等 1–2 分钟。"},
  {title: "致歉", text: "非常抱歉给您带来不好的体验，这个问题我会负责跟进到底。"},
  {title: "催发货", text: "已经为您联系仓库加急处理，预计 24 小时内发出，发货后您会收到物流短信。"},
  {title: "退款复核", text: "您的退款申请我已提交人工复核，审核通过后款项会在 1–3 个工作日原路退回。"},
  {title: "结束", text: "请问还有其他可以帮您的吗？如果没有，稍后会请您为本次服务打个分，感谢您的耐心。"},
];

export function loadCanned() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "null");
    if (Array.isArray(list)) {
      return list.filter((c) => c && typeof c.title === "string" && typeof c.text === "string");
    }
  } catch (_) { /* fall back to the defaults */ }
  return DEFAULT_CANNED.map((c) => ({...c}));
}

/**
 * @param {{title: string, text: string}[]} list
 */
export function saveCanned(list) {
  try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (_) { /* storage off: this session only */ }
}

export function resetCanned() {
  try { localStorage.removeItem(KEY); } catch (_) { /* ignore */ }
  return loadCanned();
}
