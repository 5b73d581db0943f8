// llama.cpp's concurrent streams, through node-llama-cpp, for comparison with
// cascade-bench-streams (tools/bench/inference): the same GGUF, prompts, token counts and
// columns.
//
//   node tools/bench/engine/llama_cpp_streams.mjs MODEL.gguf [--streams 1,4,16,64] \
//        [--tokens 64] [--prompt-tokens 32] [--threads 2] [--requests-per-stream 2] \
//        [--node-modules "$(scripts/install-npm-tools.sh)"]
//
// node-llama-cpp 3.21.1 is imported from --node-modules DIR (the folder that
// scripts/install-npm-tools.sh prints), or else as a plain "node-llama-cpp" import.
//
// For each stream count S: one context with `sequences: S` (llama.cpp decodes the sequences
// that have work in one batch: its continuous batching) and S concurrent clients, each on
// its own sequence, sending --requests-per-stream requests back to back (closed loop; the
// sequence's history is cleared before each). A request evaluates [BOS] + its prompt ids
// (BOS when the model asks for it) and takes --tokens greedy tokens, stopping early only at
// an end-of-generation token, as our server does.
//
// The prompt of request k (k counting every request from 0: stream counts in the order
// given, then stream by stream, then request by request) is the one cascade-bench-streams
// sends: --prompt-tokens ids, id i = V/8 + (i mod V/2) for a vocabulary of V ids, except the
// first 4, V/8 + V/2 - 1 - ((4k + i) mod V/2).
//
// Measured: aggregate tokens/s (all tokens / wall time from the first request to the last
// token); time to first token (from the request's evaluate call, so waiting for the shared
// batch is included); per-token latency (the time between successive tokens of a request);
// and the most sequences decoding at once (first to last token).
import fs from "node:fs";
import path from "node:path";
import {pathToFileURL} from "node:url";

const usage = `usage: node llama_cpp_streams.mjs MODEL.gguf [flags]

  --streams 1,4,16,64        numbers of concurrent streams (and context sequences), one run each
  --tokens N                 tokens generated per request, default 64
  --prompt-tokens N          prompt length in token ids, default 32
  --threads N                llama.cpp threads, default 2
  --requests-per-stream N    requests each stream sends back to back, default 2
  --node-modules DIR         where node-llama-cpp is (scripts/install-npm-tools.sh prints it)
  --help                     this text
`;

function fail(message) {
  console.error(`llama_cpp_streams: ${message} (see --help)`);
  process.exit(2);
}

const flags = {
  model: "", streams: [1, 4, 16, 64], tokens: 64, promptTokens: 32, threads: 2,
  requestsPerStream: 2, nodeModules: ""
};
{
  const args = process.argv.slice(2);
  const positive = (name, text) => {
    if (!/^[1-9][0-9]*$/.test(text)) fail(`${name} wants a positive integer, got '${text}'`);
    return Number(text);
  };
  for (let i = 0; i < args.length; ++i) {
    let arg = args[i];
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(usage);
      process.exit(0);
    }
    if (!arg.startsWith("--")) {
      if (flags.model) fail(`unexpected argument '${arg}'`);
      flags.model = arg;
      continue;
    }
    let value;
    const eq = arg.indexOf("=");
    if (eq >= 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const known = ["--model", "--streams", "--tokens", "--prompt-tokens", "--threads",
                   "--requests-per-stream", "--node-modules"];
    if (!known.includes(arg)) fail(`unknown flag '${arg}'`);
    if (value === undefined) {
      if (i + 1 >= args.length) fail(`${arg} needs a value`);
      value = args[++i];
    }
    switch (arg) {
      case "--model": flags.model = value; break;
      case "--streams": flags.streams = value.split(",").map((v) => positive(arg, v)); break;
      case "--tokens": flags.tokens = positive(arg, value); break;
      case "--prompt-tokens": flags.promptTokens = positive(arg, value); break;
      case "--threads": flags.threads = positive(arg, value); break;
      case "--requests-per-stream": flags.requestsPerStream = positive(arg, value); break;
      case "--node-modules": flags.nodeModules = value; break;
    }
  }
  if (!flags.model) fail("MODEL.gguf is required");
  if (!fs.existsSync(flags.model)) fail(`cannot read ${flags.model}`);
}

const entry = flags.nodeModules
    ? pathToFileURL(path.join(flags.nodeModules, "node-llama-cpp", "dist", "index.js")).href
    : "node-llama-cpp";
const {getLlama} = await import(entry);
const llama = await getLlama({gpu: false, build: "never", maxThreads: 0});
const model = await llama.loadModel({modelPath: flags.model});

const vocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
if (typeof vocab !== "number") {
  console.error("llama_cpp_streams: the model file has no tokenizer.ggml.tokens");
  process.exit(1);
}
const variedIds = 4;
const bos =
    model.tokens.shouldPrependBosToken && model.tokens.bos != null ? [model.tokens.bos] : [];
function ruleIds(k) {
  const first = Math.floor(vocab / 8), span = Math.max(1, Math.floor(vocab / 2));
  const ids = Array.from({length: flags.promptTokens}, (_, i) => first + (i % span));
  for (let i = 0; i < Math.min(flags.promptTokens, variedIds); ++i) {
    ids[i] = first + span - 1 - ((variedIds * k + i) % span);
  }
  return ids;
}
// Request k's prompt, as cascade-bench-streams makes it: the text of the rule's ids, tokenized;
// when that is more than --prompt-tokens tokens, the longest prefix of the text (whole
// characters) that tokenizes to at most that many. BOS in front when the model asks for it.
function promptIds(k) {
  const text = model.detokenize(ruleIds(k));
  let ids = model.tokenize(text);
  if (ids.length > flags.promptTokens) {
    const chars = Array.from(text);
    let low = 0, high = chars.length - 1, best;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const prefix = model.tokenize(chars.slice(0, middle + 1).join(""));
      if (prefix.length <= flags.promptTokens) {
        best = prefix;
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    if (best) ids = best;
  }
  return [...bos, ...ids];
}
const totalRequests = flags.streams.reduce((sum, s) => sum + s * flags.requestsPerStream, 0);
if (variedIds * (totalRequests + 1) > Math.floor(vocab / 2)) {
  fail(`${totalRequests} requests need more distinct prompts than the vocabulary gives`);
}

const prompts = Array.from({length: totalRequests + 1}, (_, k) => promptIds(k));
if (new Set(prompts.map((ids) => ids.join(","))).size !== prompts.length) {
  console.error("llama_cpp_streams: two prompts are the same");
  process.exit(1);
}
const exact = prompts.filter((ids, k) => ids.slice(bos.length).join(",") === ruleIds(k).join(","));
const lengths = prompts.map((ids) => ids.length - bos.length);

const now = () => Number(process.hrtime.bigint()) / 1e9;

// One request on `sequence` (emptied first): its tokens and timings.
async function request(sequence, k, tokens) {
  await sequence.clearHistory();
  const result = {ids: [], ttft: NaN, gaps: [], first: 0, last: 0};
  const sent = now();
  let previous = sent;
  for await (const token of sequence.evaluate(prompts[k], {temperature: 0})) {
    const t = now();
    if (result.ids.length === 0) {
      result.ttft = t - sent;
      result.first = t;
    } else {
      result.gaps.push(t - previous);
    }
    result.ids.push(token);
    result.last = previous = t;
    if (result.ids.length >= tokens) break;
  }
  return result;
}

function percentile(values, fraction) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(Math.max(Math.ceil(fraction * sorted.length), 1), sorted.length);
  return sorted[rank - 1];
}

function maxOverlap(calls) {
  const events = [];
  for (const call of calls) {
    if (call.ids.length === 0) continue;
    events.push([call.first, 1], [call.last, -1]);
  }
  events.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]));  // Ends first.
  let open = 0, most = 0;
  for (const [, delta] of events) most = Math.max(most, open += delta);
  return most;
}

const ms = (seconds) => Number.isNaN(seconds) ? "-" : `${(seconds * 1e3).toFixed(1)} ms`;

console.log(`llama_cpp_streams: ${flags.model}, llama.cpp via node-llama-cpp, ${flags.threads} ` +
            `threads, ${flags.promptTokens} prompt tokens + ${flags.tokens} new tokens per request, ` +
            `greedy, ${flags.requestsPerStream} requests per stream back to back; ` +
            `V = ${vocab}`);
// FNV-1a over every prompt's ids (no BOS), as cascade-bench-streams prints it.
let checksum = 2166136261;
for (const ids of prompts) {
  for (const id of ids.slice(bos.length)) {
    checksum = Math.imul((checksum ^ id) >>> 0, 16777619) >>> 0;
  }
}
const fewest = Math.min(...lengths), most = Math.max(...lengths);
const first12 = prompts[0].slice(bos.length, bos.length + 12).join(",") +
                (prompts[0].length - bos.length > 12 ? ",..." : "");
console.log(`prompts: ${prompts.length} distinct texts of ` +
            `${fewest === most ? fewest : `${fewest} to ${most}`} tokens ` +
            `(BOS ${bos.length ? "added" : "none"}); ` +
            (exact.length === prompts.length
                 ? "the rule's ids themselves"
                 : `${prompts.length - exact.length} not the rule's ids ` +
                       "(their text tokenizes otherwise)") +
            `; checksum ${checksum.toString(16).padStart(8, "0")}; request 0: ${first12}`);
const rows = [];
let firstIds = [];
let shortRequests = 0, requests = 0;
let firstRequest = 0;
for (const streams of flags.streams) {
  const context = await model.createContext({
    sequences: streams,
    contextSize: bos.length + flags.promptTokens + flags.tokens + 1,
    threads: flags.threads,
    batchSize: Math.max(512, bos.length + flags.promptTokens)
  });
  const sequences = Array.from({length: streams}, () => context.getSequence());
  await request(sequences[0], totalRequests, 4);  // Warm-up: the prompt of k = total.
  process.stderr.write(`llama.cpp sequences=${streams}, ${streams} streams ...`);
  const calls = [];
  const start = now();
  await Promise.all(sequences.map(async (sequence, s) => {
    for (let r = 0; r < flags.requestsPerStream; ++r) {
      const index = s * flags.requestsPerStream + r;
      calls[index] = await request(sequence, firstRequest + index, flags.tokens);
    }
  }));
  const seconds = now() - start;
  const tokens = calls.reduce((sum, call) => sum + call.ids.length, 0);
  process.stderr.write(` ${seconds.toFixed(1)} s, ${tokens} tokens\n`);
  if (firstRequest === 0) firstIds = calls[0].ids;
  shortRequests += calls.filter((call) => call.ids.length < flags.tokens).length;
  requests += calls.length;
  rows.push(`| llama.cpp sequences=${streams} | ${streams} | ${(tokens / seconds).toFixed(1)} | ` +
            `${ms(percentile(calls.map((c) => c.ttft).filter((t) => !Number.isNaN(t)), 0.5))} | ` +
            `${ms(percentile(calls.map((c) => c.ttft).filter((t) => !Number.isNaN(t)), 0.99))} | ` +
            `${ms(percentile(calls.flatMap((c) => c.gaps), 0.5))} | ` +
            `${ms(percentile(calls.flatMap((c) => c.gaps), 0.99))} | ${maxOverlap(calls)} |`);
  for (const sequence of sequences) await sequence.dispose();
  await context.dispose();
  firstRequest += streams * flags.requestsPerStream;
}
console.log("\n| config | streams | aggregate tok/s | TTFT p50 | TTFT p99 | per-token p50 | p99 | " +
            "decoding at once (max) |\n| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
console.log(`\nrequest 0: ${firstIds.slice(0, 16).join(",")}${firstIds.length > 16 ? ",..." : ""}`);
if (shortRequests > 0) {
  console.log(`${shortRequests} of ${requests} requests ended at an end-of-generation token ` +
              `before --tokens; tokens/s counts the tokens generated.`);
}
await model.dispose();
