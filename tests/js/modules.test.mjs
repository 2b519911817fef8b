// The browser code's house rules, checked on the files themselves: every module is type-checked
// (// @ts-check), under 400 lines (the generated widget.js excepted), and the modules import each
// other in one direction only (no cycles).
import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync, readdirSync} from "node:fs";
import {dirname, join, normalize, relative} from "node:path";
import {fileURLToPath} from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const STATIC = join(ROOT, "handover_bridge", "static");
const FOLDERS = ["console", "shared", join("widget", "src")];

const modules = FOLDERS.flatMap((folder) => readdirSync(join(STATIC, folder))
  .filter((name) => name.endsWith(".js"))
  .map((name) => join(STATIC, folder, name)));
const name = (path) => relative(STATIC, path);

test("every module is type-checked and under 400 lines", () => {
  assert.ok(modules.length > 20, `only ${modules.length} modules found`);
  for (const path of modules) {
    const text = readFileSync(path, "utf8");
    assert.ok(text.startsWith("// @ts-check\n"), `${name(path)}: no // @ts-check on its first line`);
    const lines = text.split("\n").length - 1;
    assert.ok(lines < 400, `${name(path)}: ${lines} lines`);
  }
});

test("no import cycles", () => {
  /** @type {Map<string, string[]>} */
  const graph = new Map();
  for (const path of modules) {
    const imports = [...readFileSync(path, "utf8").matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gm)];
    graph.set(path, imports.map((m) => normalize(join(dirname(path), m[1]))));
  }
  const done = new Set();
  const visit = (path, trail) => {
    if (trail.includes(path)) assert.fail(`import cycle: ${[...trail.slice(trail.indexOf(path)), path].map(name).join(" → ")}`);
    if (done.has(path)) return;
    for (const next of graph.get(path) || []) visit(next, [...trail, path]);
    done.add(path);
  };
  for (const path of modules) visit(path, []);
});
