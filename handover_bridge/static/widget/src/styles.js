// @ts-check
// The widget's styles; they live inside its shadow root, so the shop's CSS and the widget's never meet.

export const CSS = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
.jl { --jl-brand: #ff5000; --jl-brand-dark: #e04400; --jl-agent: #1f7ae0; --jl-bg: #f5f6f8;
--jl-text: #1f2329; --jl-muted: #8a8f99; position: fixed; z-index: 2147483000; right: 20px; bottom: 20px;
font: 14px/1.5 -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; color: var(--jl-text); }
.jl.jl--left { right: auto; left: 20px; }
button, input, textarea { font: inherit; color: inherit; }
button { cursor: pointer; }
button:disabled { cursor: not-allowed; opacity: .55; }
:focus-visible { outline: 2px solid var(--jl-agent); outline-offset: 2px; }
.jl-launcher { display: flex; align-items: center; gap: 8px; border: 0; border-radius: 28px;
padding: 12px 20px 12px 16px; background: var(--jl-brand); color: #fff; font-size: 15px; font-weight: 600;
box-shadow: 0 6px 20px rgba(255, 80, 0, .35); position: relative; }
.jl-launcher:hover { background: var(--jl-brand-dark); }
.jl-launcher svg { width: 22px; height: 22px; fill: currentColor; }
.jl-badge { position: absolute; top: -6px; right: -6px; min-width: 20px; height: 20px; padding: 0 6px;
border-radius: 10px; background: #f5222d; color: #fff; font-size: 12px; line-height: 20px; text-align: center;
box-shadow: 0 0 0 2px #fff; }
.jl--open .jl-launcher { display: none; }
.jl-panel { display: none; flex-direction: column; width: 380px; height: min(640px, calc(100vh - 40px));
background: var(--jl-bg); border-radius: 14px; overflow: hidden; box-shadow: 0 12px 40px rgba(0, 0, 0, .22); }
.jl--open .jl-panel { display: flex; }
.jl-header { display: flex; align-items: center; gap: 10px; padding: 12px 12px 12px 14px;
background: linear-gradient(135deg, #ff7a1a, var(--jl-brand)); color: #fff; flex: none; }
.jl[data-state="assigned"] .jl-header { background: linear-gradient(135deg, #3b8ff0, var(--jl-agent)); }
.jl-avatar { width: 36px; height: 36px; border-radius: 50%; background: rgba(255, 255, 255, .22);
display: grid; place-items: center; font-weight: 700; flex: none; }
.jl-heading { flex: 1; min-width: 0; }
.jl-title { font-size: 16px; font-weight: 600; }
.jl-subtitle { font-size: 12px; opacity: .9; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.jl-close { border: 0; background: transparent; color: #fff; width: 36px; height: 36px; border-radius: 8px;
font-size: 22px; line-height: 1; }
.jl-close:hover { background: rgba(255, 255, 255, .18); }
.jl-banner { flex: none; padding: 8px 12px; font-size: 13px; display: flex; align-items: center; gap: 8px;
flex-wrap: wrap; }
.jl-banner[hidden] { display: none; }
.jl-offline { background: #fff1f0; color: #a8071a; border-bottom: 1px solid #ffccc7; }
.jl-queue { background: #fff7e6; color: #873800; border-bottom: 1px solid #ffd591; }
.jl-queue-text { flex: 1 1 200px; font-weight: 600; }
.jl-ended { background: #f0f5ff; color: #10239e; border-bottom: 1px solid #adc6ff; }
.jl-link { border: 1px solid currentColor; background: #fff; border-radius: 14px; padding: 2px 10px;
font-size: 12px; color: inherit; }
.jl-log { flex: 1; overflow-y: auto; padding: 12px 12px 4px; overscroll-behavior: contain; }
.jl-msg { display: flex; flex-direction: column; margin: 0 0 12px; max-width: 100%; }
.jl-msg--hidden, .jl-msg--stale { display: none; }
.jl-who { font-size: 12px; color: var(--jl-muted); margin: 0 4px 2px; }
.jl-bubble { max-width: 82%; padding: 9px 12px; border-radius: 12px; white-space: pre-wrap;
word-break: break-word; overflow-wrap: anywhere; background: #fff; box-shadow: 0 1px 2px rgba(0, 0, 0, .06); }
.jl-msg--customer { align-items: flex-end; }
.jl-msg--customer .jl-bubble { background: var(--jl-brand); color: #fff; border-bottom-right-radius: 4px; }
.jl-msg--bot .jl-bubble { border-bottom-left-radius: 4px; }
.jl-msg--agent .jl-bubble { background: #e8f3ff; color: #0b3a75; border: 1px solid #b7d7ff;
border-bottom-left-radius: 4px; }
.jl-msg--agent .jl-who { color: var(--jl-agent); font-weight: 600; }
.jl-msg--system { align-items: center; }
.jl-note { max-width: 90%; font-size: 12px; color: #5c6370; background: #e9ebef; border-radius: 10px;
padding: 4px 10px; text-align: center; white-space: pre-wrap; word-break: break-word; }
.jl-msg--joined .jl-note { background: #e6f4ff; color: #0958d9; font-weight: 600; }
.jl-msg--queue .jl-note { background: #fff7e6; color: #873800; }
.jl-msg--pending .jl-bubble { opacity: .65; }
.jl-msg--failed .jl-bubble { background: #fff; color: #a8071a; border: 1px solid #ffa39e; cursor: pointer; }
.jl-meta { font-size: 11px; color: var(--jl-muted); margin: 2px 4px 0; }
.jl-buttons { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; max-width: 90%; }
.jl-qr { border: 1px solid var(--jl-brand); color: var(--jl-brand); background: #fff; border-radius: 16px;
padding: 4px 12px; font-size: 13px; }
.jl-qr:hover:not(:disabled) { background: #fff2e8; }
.jl-card { width: 90%; align-self: center; background: #fff; border-radius: 12px; padding: 12px;
box-shadow: 0 1px 3px rgba(0, 0, 0, .08); margin: 4px 0 12px; }
.jl-card h3 { margin: 0 0 4px; font-size: 14px; }
.jl-card p { margin: 0 0 8px; font-size: 12px; color: var(--jl-muted); }
.jl-card textarea, .jl-card input { width: 100%; border: 1px solid #d9dce1; border-radius: 8px; padding: 6px 8px;
margin: 0 0 8px; background: #fff; resize: vertical; }
.jl-card .jl-primary { width: 100%; }
.jl-card-error { color: #a8071a; font-size: 12px; margin: 0 0 6px; }
.jl-stars { display: flex; gap: 6px; justify-content: center; margin: 6px 0 2px; }
.jl-star { border: 1px solid #ffd591; background: #fffbe6; color: #d48806; border-radius: 8px; min-width: 44px;
height: 44px; font-size: 16px; font-weight: 700; }
.jl-star[aria-pressed="true"], .jl-star:hover:not(:disabled) { background: #faad14; color: #fff; }
.jl-stars-label { text-align: center; font-size: 12px; color: var(--jl-muted); min-height: 18px; }
.jl-typing { flex: none; padding: 0 16px 6px; font-size: 12px; color: var(--jl-muted); }
.jl-typing[hidden] { display: none; }
.jl-dots span { display: inline-block; width: 5px; height: 5px; margin: 0 1px 1px; border-radius: 50%;
background: var(--jl-muted); animation: jl-blink 1.2s infinite both; }
.jl-dots span:nth-child(2) { animation-delay: .2s; }
.jl-dots span:nth-child(3) { animation-delay: .4s; }
@keyframes jl-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
.jl-bar { flex: none; display: flex; gap: 6px; padding: 6px 10px 0; overflow-x: auto; scrollbar-width: none; }
.jl-bar::-webkit-scrollbar { display: none; }
.jl-bar .jl-qr { flex: none; }
.jl-chips { display: contents; }
.jl-image { max-width: 70%; border-radius: 8px; margin-top: 4px; }
.jl-human { flex: none; border: 0; background: var(--jl-agent); color: #fff; border-radius: 16px;
padding: 4px 12px; font-size: 13px; font-weight: 600; }
.jl-composer { flex: none; display: flex; gap: 8px; align-items: flex-end; padding: 8px 10px 10px; }
.jl-input { flex: 1; min-height: 40px; max-height: 120px; resize: none; border: 1px solid #d9dce1;
border-radius: 20px; padding: 9px 14px; background: #fff; line-height: 20px; }
.jl-input:disabled { background: #eceef1; }
.jl-primary { border: 0; background: var(--jl-brand); color: #fff; border-radius: 20px; height: 40px;
padding: 0 18px; font-weight: 600; flex: none; }
.jl-primary:hover:not(:disabled) { background: var(--jl-brand-dark); }
@media (max-width: 480px) {
.jl { right: 12px; bottom: 12px; }
.jl.jl--left { left: 12px; }
.jl--open { inset: 0; right: 0; bottom: 0; }
.jl-panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; }
.jl-bubble { max-width: 86%; }
.jl-card { width: 100%; }
}
@media (prefers-reduced-motion: reduce) { .jl-dots span { animation: none; } }
`;
