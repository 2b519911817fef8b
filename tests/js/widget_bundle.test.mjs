// The committed widget.js is exactly what its sources build (esbuild is deterministic): it cannot drift
// from handover_bridge/static/widget/src/ and static/shared/. After a change: make widget.
import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {OUTFILE, build} from "../../scripts/build_widget.mjs";

test("widget.js equals a fresh build of its sources", async () => {
  const fresh = await build();
  const committed = readFileSync(OUTFILE, "utf8");
  assert.ok(committed === fresh, "handover_bridge/static/widget/widget.js is stale: run `make widget` and commit it");
});

test("the bundle is one classic script with the generated-file header and the one global", async () => {
  const bundle = readFileSync(OUTFILE, "utf8");
  assert.match(bundle, /^\/\*!\n \* Jieli 接力 — customer-service chat widget\./);
  assert.match(bundle, /GENERATED FILE, do not edit/);
  assert.match(bundle, /make widget/);
  assert.doesNotMatch(bundle, /^\s*(import|export)\s/m);
  assert.match(bundle, /Object\.defineProperty\(window, "Jieli"/);
});
