// Cascade's Node.js client: the orchestrator (cascade.v1.Cascade) and the router
// (cascade.v1.Router) over gRPC, with @grpc/grpc-js and @grpc/proto-loader.
//
// The .proto files are loaded at run time (no generated code): from the `protoDir` option,
// else $CASCADE_PROTO_DIR, else the repository's proto/ folder (../../proto from here).
// proto-loader runs with keepCase: false (raw messages use camelCase names: finalTier,
// costPusd), longs: String (int64 fields arrive as decimal strings, never rounded through a
// double), enums: String, defaults: true, oneofs: true.
//
//   const cascade = require("./cascade");
//   const client = cascade.connect("localhost:50051");
//   const answer = await client.complete("hello there", { maxTokens: 16 });
//   console.log(answer.text, answer.tiers, answer.costUsd, answer.savingsUsd);
//
// Failures reject with a CascadeError: `.code` is the gRPC status number, `.codeName` its
// name ("INVALID_ARGUMENT"), `.message` the server's message.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const PROTO_FILES = ["cascade/v1/cascade.proto", "cascade/v1/router.proto"];
const LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};
const PICO = 1000000000000n; // pico-USD per USD

// gRPC status number -> name ("INVALID_ARGUMENT").
const STATUS_NAMES = Object.fromEntries(
  Object.entries(grpc.status).map(([name, code]) => [code, name]),
);

class CascadeError extends Error {
  constructor(code, message, metadata) {
    super(message);
    this.name = "CascadeError";
    this.code = code;
    this.codeName = STATUS_NAMES[code] || `UNKNOWN_STATUS_${code}`;
    this.details = message;
    this.metadata = metadata;
  }
}

// A grpc-js error (or any other) as a CascadeError, keeping the server's message only.
function toError(error) {
  if (error instanceof CascadeError) return error;
  if (error && typeof error.code === "number") {
    const message = error.details || error.message || STATUS_NAMES[error.code];
    const converted = new CascadeError(error.code, message, error.metadata);
    converted.cause = error;
    return converted;
  }
  return error;
}

const packages = new Map(); // proto dir -> loaded cascade.v1 package

function protoDirectory(protoDir) {
  const dir = path.resolve(
    protoDir || process.env.CASCADE_PROTO_DIR || path.join(__dirname, "..", "..", "proto"),
  );
  if (!fs.existsSync(path.join(dir, PROTO_FILES[0]))) {
    throw new Error(
      `no ${PROTO_FILES[0]} under ${dir}: pass the protoDir option or set ` +
        "CASCADE_PROTO_DIR to the folder holding cascade/v1/*.proto",
    );
  }
  return dir;
}

// The cascade.v1 package (service constructors), loaded once per proto folder.
function loadProtos(protoDir) {
  const dir = protoDirectory(protoDir);
  if (!packages.has(dir)) {
    const definition = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [dir] });
    packages.set(dir, grpc.loadPackageDefinition(definition).cascade.v1);
  }
  return packages.get(dir);
}

function readFile(file) {
  return file ? fs.readFileSync(file) : null;
}

// Channel credentials and options from connect()'s options.
function channelSetup(options) {
  const channelOptions = { ...(options.channelOptions || {}) };
  let credentials;
  const tls = options.tls || options.caFile || options.certFile || options.keyFile;
  if (tls) {
    if (Boolean(options.certFile) !== Boolean(options.keyFile)) {
      throw new Error("certFile and keyFile go together (a client certificate for mutual TLS)");
    }
    credentials = grpc.credentials.createSsl(
      readFile(options.caFile), // null: the system's roots
      readFile(options.keyFile),
      readFile(options.certFile),
    );
    if (options.serverName) {
      channelOptions["grpc.ssl_target_name_override"] = options.serverName;
      channelOptions["grpc.default_authority"] = options.serverName;
    }
  } else {
    credentials = grpc.credentials.createInsecure();
  }
  return { credentials, channelOptions };
}

// Per-call metadata, options and the deadline.
function callArguments(defaults, opts) {
  const metadata = new grpc.Metadata();
  if (defaults.apiKey) metadata.set("authorization", `Bearer ${defaults.apiKey}`);
  for (const [key, value] of Object.entries(opts.metadata || {})) metadata.set(key, value);
  const timeoutMs = opts.timeoutMs !== undefined ? opts.timeoutMs : defaults.timeoutMs;
  const callOptions = {};
  if (timeoutMs) callOptions.deadline = new Date(Date.now() + timeoutMs);
  return [metadata, callOptions];
}

// An int64 given as a number, BigInt or decimal string, as the string protobufjs takes.
function int64(value) {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
    return String(value);
  }
  if (typeof value === "string" && /^-?\d+$/.test(value)) return value;
  throw new TypeError(`not an integer: ${value}`);
}

// Pico-USD (string, number or BigInt) as BigInt.
function pusd(value) {
  if (value === undefined || value === null || value === "") return 0n;
  return BigInt(value);
}

// Pico-USD as an exact decimal USD string: 1234567n -> "0.000001234567".
function formatUsd(picoUsd) {
  const value = pusd(picoUsd);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const whole = magnitude / PICO;
  const fraction = (magnitude % PICO).toString().padStart(12, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? "." + fraction : ""}`;
}

// Pico-USD as a USD number (whole and fractional parts converted apart: exact to the
// pico-USD up to 2^53 whole USD).
function toUsd(picoUsd) {
  const value = pusd(picoUsd);
  return Number(value / PICO) + Number(value % PICO) / 1e12;
}

// USD (number) as pico-USD (BigInt), for budgets.
function usdToPusd(usd) {
  const [whole, fraction = ""] = Math.abs(usd).toFixed(12).split(".");
  const value = BigInt(whole) * PICO + BigInt(fraction.padEnd(12, "0").slice(0, 12));
  return usd < 0 ? -value : value;
}

// A string prompt or a list of messages ({role, content} or plain strings, as user
// messages) as ChatMessage objects.
function toMessages(promptOrMessages) {
  if (typeof promptOrMessages === "string") return [{ role: "user", content: promptOrMessages }];
  if (!Array.isArray(promptOrMessages)) {
    throw new TypeError("complete() takes a prompt string or an array of messages");
  }
  return promptOrMessages.map((message) =>
    typeof message === "string" ? { role: "user", content: message } : message,
  );
}

// complete()'s options as a CascadeRequest.
function toRequest(promptOrMessages, opts) {
  const params = { ...(opts.params || {}) };
  const shortcuts = { maxTokens: 1, temperature: 1, topP: 1, topK: 1, stop: 1, logprobs: 1,
                      topLogprobs: 1, tools: 1, toolChoice: 1, reasoningEffort: 1 };
  for (const key of Object.keys(shortcuts)) {
    if (opts[key] !== undefined) params[key] = opts[key];
  }
  if (opts.seed !== undefined) params.seed = int64(opts.seed);
  const request = {
    messages: toMessages(promptOrMessages),
    params,
    policy: opts.policy || "",
    routeHint: opts.routeHint || "",
    startTier: opts.startTier || "",
    maxTier: opts.maxTier || "",
    tenant: opts.tenant || "",
  };
  if (opts.thresholdOverride !== undefined) request.thresholdOverride = opts.thresholdOverride;
  if (opts.budgetPusd !== undefined) request.budgetPusd = int64(opts.budgetPusd);
  else if (opts.budgetUsd !== undefined) request.budgetPusd = usdToPusd(opts.budgetUsd).toString();
  return request;
}

// A CascadeResponse as the answer object; `text` overrides the answer (streams).
function toAnswer(response, text) {
  const steps = response.steps || [];
  const costPusd = pusd(response.costPusd);
  const baselinePusd = pusd(response.baselineCostPusd);
  const savingsPusd = pusd(response.savingsPusd);
  return {
    text: text !== undefined ? text : response.answer,
    finalTier: response.finalTier,
    model: response.model,
    route: response.route,
    tiers: steps.map((step) => step.tier),
    steps,
    costPusd,
    baselinePusd,
    savingsPusd,
    costUsd: toUsd(costPusd),
    baselineUsd: toUsd(baselinePusd),
    savingsUsd: toUsd(savingsPusd),
    finishReason: response.finishReason,
    stoppedReason: response.stoppedReason,
    usage: response.usage,
    toolCalls: response.toolCalls || [],
    raw: response,
  };
}

// Calls a unary method as a promise of its response, errors as CascadeError.
function unary(client, method, request, metadata, callOptions) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, callOptions, (error, response) =>
      error ? reject(toError(error)) : resolve(response),
    );
  });
}

function connectOptions(options) {
  return {
    apiKey: options.apiKey !== undefined ? options.apiKey : process.env.CASCADE_API_KEY,
    timeoutMs: options.timeoutMs,
  };
}

// The grpc-js client of cascade.v1.<service> at `target`, and the per-call defaults.
function makeClient(service, target, options) {
  const v1 = loadProtos(options.protoDir);
  const { credentials, channelOptions } = channelSetup(options);
  return {
    client: new v1[service](target, credentials, channelOptions),
    defaults: connectOptions(options),
  };
}

// A client of the orchestrator (cascade.v1.Cascade) at `target` ("host:port").
// options: apiKey (sent as `authorization: Bearer KEY`; default $CASCADE_API_KEY), tls,
// caFile, certFile, keyFile, serverName, timeoutMs (every call's default deadline),
// protoDir, channelOptions (grpc-js channel options).
function connect(target, options = {}) {
  const { client, defaults } = makeClient("Cascade", target, options);
  return {
    client,

    // Cascade.Complete. opts: policy, routeHint, startTier, maxTier, thresholdOverride,
    // budgetPusd (int64) or budgetUsd (number), tenant, maxTokens, temperature, topP,
    // topK, seed, stop, logprobs, topLogprobs, tools, toolChoice, reasoningEffort, params
    // (a raw GenerationParams), timeoutMs, metadata.
    async complete(promptOrMessages, opts = {}) {
      const request = toRequest(promptOrMessages, opts);
      const response = await unary(client, "complete", request, ...callArguments(defaults, opts));
      return toAnswer(response);
    },

    // Cascade.StreamComplete: an async iterator of {text, answer?}; the last chunk has
    // `answer` (its text: every chunk's text joined). Leaving the loop early cancels the call.
    async *streamComplete(promptOrMessages, opts = {}) {
      const request = toRequest(promptOrMessages, opts);
      const call = client.streamComplete(request, ...callArguments(defaults, opts));
      let text = "";
      let finished = false;
      try {
        for await (const chunk of call) {
          text += chunk.text;
          const out = { text: chunk.text };
          if (chunk.final) out.answer = toAnswer(chunk.final, text);
          yield out;
        }
        finished = true;
      } catch (error) {
        throw toError(error);
      } finally {
        if (!finished) call.cancel();
      }
    },

    close() {
      client.close();
    },
  };
}

// A client of the router (cascade.v1.Router) at `target`; the same options as connect().
function connectRouter(target, options = {}) {
  const { client, defaults } = makeClient("Router", target, options);
  return {
    client,

    // Router.Route: {route, score, tier (startTier or fixedTier), startTier, fixedTier,
    // matchedExample, alternatives, belowThreshold, raw}.
    async route(query, opts = {}) {
      const decision = await unary(client, "route", { query }, ...callArguments(defaults, opts));
      return {
        route: decision.route,
        score: decision.score,
        tier: decision.startTier || decision.fixedTier || "",
        startTier: decision.startTier || "",
        fixedTier: decision.fixedTier || "",
        matchedExample: decision.matchedExample,
        alternatives: decision.alternatives || [],
        belowThreshold: decision.belowThreshold,
        raw: decision,
      };
    },

    // Router.ListRoutes: {routes, defaultRoute}.
    async listRoutes(opts = {}) {
      return unary(client, "listRoutes", {}, ...callArguments(defaults, opts));
    },

    close() {
      client.close();
    },
  };
}

module.exports = {
  connect,
  connectRouter,
  loadProtos,
  CascadeError,
  formatUsd,
  toUsd,
  usdToPusd,
  status: grpc.status,
};
