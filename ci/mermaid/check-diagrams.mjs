// Parses every ```mermaid block of the Markdown files given with the real mermaid parser (the
// npm package, run under Node with a jsdom window, as a browser would run it). Exits non-zero
// naming each block that does not parse.
//
//   node ci/mermaid/check-diagrams.mjs FILE.md...
//
// `ci/check-diagrams.sh` installs mermaid and jsdom into a directory outside the Rust build
// and runs this with MERMAID_MODULES naming its node_modules.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const modules = process.env.MERMAID_MODULES;
if (!modules) {
  console.error("MERMAID_MODULES must name the node_modules directory holding mermaid and jsdom");
  process.exit(2);
}
const require = createRequire(path.join(modules, "noop.js"));
const { JSDOM } = require("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const key of ["DOMParser", "Element", "HTMLElement", "Node", "navigator", "SVGElement"]) {
  if (!(key in globalThis)) {
    Object.defineProperty(globalThis, key, { value: dom.window[key], configurable: true });
  }
}
const mermaid = (await import(require.resolve("mermaid"))).default;
mermaid.initialize({ startOnLoad: false });

let blocks = 0;
let failures = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const re = /```mermaid\n([\s\S]*?)```/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    blocks += 1;
    const line = text.slice(0, m.index).split("\n").length;
    try {
      await mermaid.parse(m[1]);
    } catch (e) {
      failures += 1;
      console.error(`${file}:${line}: mermaid cannot parse this diagram:\n${e.message ?? e}\n`);
    }
  }
}
if (blocks === 0) {
  console.error("no mermaid diagrams found");
  process.exit(1);
}
const { version } = require("mermaid/package.json");
console.log(`mermaid ${version}: ${blocks - failures} of ${blocks} diagrams parse`);
process.exit(failures === 0 ? 0 : 1);
