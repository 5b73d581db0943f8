// Validates every object of a rendered chart (the output of `helm template`) against the
// Kubernetes schemas of npm kubernetes-models, and the ServiceMonitor and PrometheusRule
// against @kubernetes-models/prometheus-operator: a wrong field or type fails.
//
//   node validate_k8s.mjs NODE_MODULES RENDERED.yaml EXPECTED_KIND...
//
// Every EXPECTED_KIND must occur at least once (so a switch that silently renders nothing
// fails too). Prints one line per object; exits 1 on the first invalid file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, renderedPath, ...expectedKinds] = process.argv.slice(2);
if (!nodeModules || !renderedPath) {
  console.error("usage: validate_k8s.mjs NODE_MODULES RENDERED.yaml [EXPECTED_KIND...]");
  process.exit(2);
}
const load = (path) => import(pathToFileURL(join(nodeModules, path)).href);
const YAML = await load("yaml/dist/index.js");

// The module of an apiVersion: core types live under kubernetes-models/v1, CRDs of the
// prometheus operator in their own package.
function modulePath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}.js`;
  }
  return `kubernetes-models/${apiVersion}/${kind}.js`;
}

const documents = YAML.parseAllDocuments(readFileSync(renderedPath, "utf8"));
const seen = new Map();
let failures = 0;
for (const document of documents) {
  if (document.errors.length) {
    console.error(`FAIL YAML: ${document.errors[0].message}`);
    failures++;
    continue;
  }
  const object = document.toJS();
  if (object === null) continue;  // an empty document between `---`
  const { apiVersion, kind } = object;
  const name = `${kind} ${object.metadata?.name}`;
  let Model;
  try {
    Model = (await load(modulePath(apiVersion, kind)))[kind];
  } catch (error) {
    console.error(`FAIL ${name}: no schema for ${apiVersion} ${kind} (${error.message})`);
    failures++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok   ${apiVersion} ${name}`);
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
  } catch (error) {
    console.error(`FAIL ${apiVersion} ${name}: ${error.message}`);
    failures++;
  }
}
for (const kind of expectedKinds) {
  if (!seen.has(kind)) {
    console.error(`FAIL no valid ${kind} was rendered`);
    failures++;
  }
}
console.log(`${[...seen.values()].reduce((a, b) => a + b, 0)} objects valid, ${failures} failures`);
process.exit(failures ? 1 : 0);
