#!/usr/bin/env node
// The Node client's example (the contract every client example follows, docs/clients.md):
// a completion, a stream, a route query and an error, one stdout line each.
//
//   node examples/cascade-example.js --orchestrator HOST:PORT --router HOST:PORT \
//        [--api-key KEY | --api-key-env VAR] [--tls] [--ca-file F] [--cert-file F] [--key-file F] [--server-name N]
//
// Text values are JSON strings; USD figures are the response's pico-USD / 1e12, exact.
"use strict";

const path = require("node:path");
const { parseArgs } = require("node:util");
const cascade = require(path.join(__dirname, "..", "cascade.js"));

async function main() {
  const { values } = parseArgs({
    options: {
      orchestrator: { type: "string" },
      router: { type: "string" },
      "api-key": { type: "string" },
      "api-key-env": { type: "string" },
      tls: { type: "boolean", default: false },
      "ca-file": { type: "string" },
      "cert-file": { type: "string" },
      "key-file": { type: "string" },
      "server-name": { type: "string" },
    },
  });
  if (!values.orchestrator || !values.router) {
    console.error("usage: cascade-example.js --orchestrator HOST:PORT --router HOST:PORT " +
                  "[--api-key KEY | --api-key-env VAR] [--tls] [--ca-file F] [--cert-file F] [--key-file F] " +
                  "[--server-name NAME]");
    process.exit(2);
  }
  const options = {
    // The key itself, or the name of the environment variable holding it.
    apiKey: values["api-key-env"] ? process.env[values["api-key-env"]] : values["api-key"],
    tls: values.tls,
    caFile: values["ca-file"],
    certFile: values["cert-file"],
    keyFile: values["key-file"],
    serverName: values["server-name"],
    timeoutMs: 60000,
  };

  const client = cascade.connect(values.orchestrator, options);
  const router = cascade.connectRouter(values.router, options);
  try {
    // A completion with its trace and what it cost.
    const answer = await client.complete("hello there", {
      policy: "default",
      maxTokens: 16,
      temperature: 0,
    });
    console.log(
      `completion tier=${answer.finalTier} tiers=${answer.tiers.join(",")}` +
        ` cost_usd=${cascade.formatUsd(answer.costPusd)}` +
        ` baseline_usd=${cascade.formatUsd(answer.baselinePusd)}` +
        ` savings_usd=${cascade.formatUsd(answer.savingsPusd)}` +
        ` text=${JSON.stringify(answer.text)}`,
    );

    // A stream: the chunks' text joined; the last chunk carries the answer's trace.
    let chunks = 0;
    let last;
    for await (const chunk of client.streamComplete("ROMEO:", { maxTokens: 24, temperature: 0 })) {
      chunks += 1;
      if (chunk.answer) last = chunk.answer;
    }
    if (!last) throw new Error("the stream ended without its final chunk");
    console.log(`stream chunks=${chunks} tier=${last.finalTier} text=${JSON.stringify(last.text)}`);

    // Where the router would start a query.
    const decision = await router.route("write a python function that sorts a list");
    console.log(`route route=${decision.route} tier=${decision.tier} score=${decision.score}`);

    // An error: a request with no messages.
    try {
      await client.complete([], { maxTokens: 16, temperature: 0 });
      console.log("error code=OK message=\"\"");
    } catch (error) {
      if (!(error instanceof cascade.CascadeError)) throw error;
      console.log(`error code=${error.codeName} message=${JSON.stringify(error.message)}`);
    }
  } finally {
    client.close();
    router.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
