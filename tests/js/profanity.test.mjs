// The console's profanity matcher (static/console/protect.js) against the cases every
// implementation must pass (tests/cases/profanity.json; tests/bridge and tests/nlu read them too),
// with the list and the folding table exactly as GET /api/lexicon/profanity serves them
// (jieli_contract/profanity.py `as_json`, asked of Python: the one reader of lexicon/profanity.yml).
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {existsSync, readFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {test} from "node:test";
import {fileURLToPath} from "node:url";

// Importing protect.js tries to fetch the list from the bridge; outside a browser that fails and
// it starts with an empty list, which these tests do not use.
import {compileLexicon, maskProfanity, matchProfanity, scan} from "../../handover_bridge/static/console/protect.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CASES = JSON.parse(readFileSync(join(ROOT, "tests", "cases", "profanity.json"), "utf8"));

function servedLexicon() {
  const python = [".venv/bin/python", ".venv-rasa/bin/python"].map((p) => join(ROOT, p)).find(existsSync) || "python3";
  const code = "import json; from jieli_contract.profanity import ProfanityLexicon as L; print(json.dumps(L.load().as_json()))";
  const out = execFileSync(python, ["-c", code], {cwd: ROOT, env: {...process.env, PYTHONPATH: ROOT}, encoding: "utf8"});
  return JSON.parse(out);
}

const LEXICON = compileLexicon(servedLexicon());

test("the served list is not empty and has the folding table", () => {
  assert.ok(LEXICON.words.includes("傻逼") && LEXICON.allow.includes("我妈的"));
  assert.equal(LEXICON.fold["媽"], "妈");
});

for (const c of CASES) {
  test(`${JSON.stringify(c.text)} → ${c.abusive ? "abusive" : "fine"}`, () => {
    assert.equal(matchProfanity(LEXICON, c.text).length > 0, c.abusive);
    assert.equal(maskProfanity(LEXICON, c.text), c.masked);
  });
}

test("the normaliser drops spaces, marks and invisible characters and folds width, case and Traditional", () => {
  assert.equal(scan("傻 -·\u200b逼", LEXICON.fold).plain, "傻逼");
  assert.equal(scan("ＳＢ妳媽", LEXICON.fold).plain, "sb你妈");
  assert.deepEqual(scan("a b", {}).gap, [false, true]);
});
