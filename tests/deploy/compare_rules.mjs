// The chart's PrometheusRule must hold exactly the rules of the plain rules file (one
// source). Compares the `spec` of the rendered PrometheusRule with the rules file, both
// parsed, and prints the first difference.
//
//   node compare_rules.mjs NODE_MODULES RENDERED.yaml RULES.yaml
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, renderedPath, rulesPath] = process.argv.slice(2);
const YAML = await import(pathToFileURL(join(nodeModules, "yaml/dist/index.js")).href);
const rules = YAML.parse(readFileSync(rulesPath, "utf8"));
const objects = YAML.parseAllDocuments(readFileSync(renderedPath, "utf8")).map((d) => d.toJS());
const found = objects.filter((o) => o && o.kind === "PrometheusRule");
if (found.length !== 1) {
  console.error(`FAIL expected one PrometheusRule, rendered ${found.length}`);
  process.exit(1);
}
const spec = found[0].spec;
if (!isDeepStrictEqual(spec, rules)) {
  const a = JSON.stringify(spec, null, 1).split("\n");
  const b = JSON.stringify(rules, null, 1).split("\n");
  const line = a.findIndex((l, i) => l !== b[i]);
  console.error(`FAIL PrometheusRule spec differs from ${rulesPath} at line ${line}:`);
  console.error(`  chart: ${a[line]}\n  file:  ${b[line]}`);
  process.exit(1);
}
const count = rules.groups.reduce((n, g) => n + g.rules.length, 0);
console.log(`ok   PrometheusRule holds the ${count} rules of ${rulesPath}`);
