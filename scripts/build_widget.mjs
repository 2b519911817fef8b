// Build the customer widget: handover_bridge/static/widget/src/*.js (and static/shared/) bundled by
// esbuild into the one file shops embed, handover_bridge/static/widget/widget.js (committed).
//
//   node scripts/build_widget.mjs           write widget.js (make widget)
//   node scripts/build_widget.mjs --check   exit 1 when the committed widget.js differs from a fresh build
//
// esbuild is deterministic: the same sources and the same (pinned) esbuild give the same bytes.
import {readFileSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import * as esbuild from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WIDGET = join(ROOT, "handover_bridge", "static", "widget");
export const OUTFILE = join(WIDGET, "widget.js");

const BANNER = `/*!
 * Jieli 接力 — customer-service chat widget.
 *
 *   <script src="https://bridge.example.com/widget.js" data-bridge="https://bridge.example.com" defer></script>
 *   <script>
 *     addEventListener("DOMContentLoaded", () =>
 *       Jieli.init({customer: {id: "u1001", tier: "vip"}, order: "2024111500034503", page: "订单详情"}));
 *   </script>
 *
 * GENERATED FILE, do not edit: built by esbuild from handover_bridge/static/widget/src/ (and
 * handover_bridge/static/shared/). Change the sources, then rebuild with \`make widget\`.
 * See docs/widget.md.
 */`;

/** @returns {Promise<string>} the bundle's text */
export async function build() {
  const result = await esbuild.build({
    entryPoints: [join(WIDGET, "src", "index.js")],
    bundle: true,
    format: "iife",
    target: ["es2020"],
    charset: "utf8",
    legalComments: "none",
    banner: {js: BANNER},
    write: false,
    logLevel: "warning",
    absWorkingDir: ROOT,
  });
  return result.outputFiles[0].text;
}

async function main() {
  const fresh = await build();
  if (process.argv.includes("--check")) {
    const committed = readFileSync(OUTFILE, "utf8");
    if (committed !== fresh) {
      console.error("handover_bridge/static/widget/widget.js is not what its sources build: run `make widget` and commit it");
      process.exit(1);
    }
    console.log("widget.js matches a fresh build of its sources");
    return;
  }
  writeFileSync(OUTFILE, fresh);
  console.log(`wrote ${OUTFILE} (${fresh.length} characters)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
