// llama.cpp's tokens per second on a GGUF file, through node-llama-cpp, for comparison with
// cascade-bench-engine. Greedy, the same prompt token ids, the same number of new tokens.
//
//   node tools/bench/engine/llama_cpp_bench.mjs MODEL.gguf --tokens 200 --threads 1,2 \
//        --prompt-ids 1,826,983 [--repeats 5] [--prompt-tokens 512] \
//        [--node-modules "$(scripts/install-npm-tools.sh)"]
//
// node-llama-cpp 3.21.1 is imported from --node-modules DIR (the folder that
// scripts/install-npm-tools.sh prints; an ES module import does not read NODE_PATH), or else
// as a plain "node-llama-cpp" import resolved from this file's folder up (after, say,
// npm i -E --omit=optional node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1).
//
// Prints one line per thread count (best and median tok/s), plus the generated token ids so a
// reader can check both engines produced the same text.
//
// With --prompt-tokens N it first measures prompt processing for each thread count, on the
// ids cascade-bench-engine --prompt-tokens uses: id i is V/8 + (i mod V/2) for a vocabulary of
// V ids, no BOS. A fresh sequence (empty KV cache) evaluates them with one new token wanted;
// the time from the call to the first generated token (N positions through the model, in one
// batch: batchSize, and so llama.cpp's n_ubatch, is at least N, and the token sampled) gives
// N / seconds, best and median over --repeats.
import path from "node:path";
import {pathToFileURL} from "node:url";

const args = process.argv.slice(2);
const modelPath = args[0];
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const tokens = Number(flag("--tokens", "200"));
const repeats = Number(flag("--repeats", "5"));
const threadCounts = flag("--threads", "1,2").split(",").map(Number);
const promptIds = flag("--prompt-ids", "1,826,983").split(",").map(Number);
const promptTokens = Number(flag("--prompt-tokens", "0"));
const nodeModules = flag("--node-modules", "");
if (!modelPath || modelPath.startsWith("--") || !(promptTokens >= 0)) {
  console.error("usage: node llama_cpp_bench.mjs MODEL.gguf [--tokens N] [--threads 1,2] " +
                "[--prompt-ids 1,826,983] [--repeats N] [--prompt-tokens 512] " +
                "[--node-modules DIR]");
  process.exit(2);
}

const entry = nodeModules
    ? pathToFileURL(path.join(nodeModules, "node-llama-cpp", "dist", "index.js")).href
    : "node-llama-cpp";
const {getLlama} = await import(entry);

const llama = await getLlama({gpu: false, build: "never", maxThreads: 0});
const model = await llama.loadModel({modelPath});

// Rates (tokens per wall second and per CPU-second of this process, the latter robust on a
// busy machine) of `measure` over `repeats` runs after one warm-up; each run gets a fresh
// sequence and returns the number of tokens it counts.
async function Measure(context, measure) {
  const rates = [];
  const cpuRates = [];
  for (let run = 0; run <= repeats; ++run) {  // run 0 warms up
    const sequence = context.getSequence();
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const {count, end} = await measure(sequence);
    const seconds = Number((end ?? process.hrtime.bigint()) - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    if (run > 0) {
      rates.push(count / seconds);
      cpuRates.push(count / ((cpu.user + cpu.system) / 1e6));
    }
    await sequence.dispose();
  }
  rates.sort((a, b) => a - b);
  return `best ${rates[rates.length - 1].toFixed(1)} tok/s  ` +
         `median ${rates[Math.floor(rates.length / 2)].toFixed(1)} tok/s  ` +
         `(${Math.max(...cpuRates).toFixed(1)} tok per CPU-s)`;
}

let prefillIds = [];
if (promptTokens > 0) {
  const vocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
  if (typeof vocab !== "number") {
    console.error("llama_cpp_bench: the model file has no tokenizer.ggml.tokens");
    process.exit(1);
  }
  const first = Math.floor(vocab / 8), span = Math.max(1, Math.floor(vocab / 2));
  prefillIds = Array.from({length: promptTokens}, (_, i) => first + (i % span));
  console.log(`prompt processing: ${promptTokens} token ids, id i = V/8 + i mod V/2 with ` +
              `V = ${vocab} (${prefillIds.slice(0, 2).join(", ")}, ...), no BOS, 1 new token; ` +
              `rate = ${promptTokens} / seconds to the first token`);
}

for (const threads of threadCounts) {
  const context = await model.createContext({
    contextSize: Math.min(model.trainContextSize ?? 2048, Math.max(2048, promptTokens + 1)),
    threads, batchSize: Math.max(512, promptTokens)});
  if (promptTokens > 0) {
    const line = await Measure(context, async (sequence) => {
      if (sequence.nextTokenIndex !== 0) throw new Error("a new sequence holds tokens");
      let end;
      for await (const token of sequence.evaluate(prefillIds, {temperature: 0})) {
        end = process.hrtime.bigint();
        break;
      }
      return {count: promptTokens, end};
    });
    console.log(`${`llama.cpp prompt-${promptTokens}`.padEnd(22)} threads=${threads}  ${line}`);
  }
  let generated = [];
  const line = await Measure(context, async (sequence) => {
    generated = [];
    for await (const token of sequence.evaluate(promptIds, {temperature: 0})) {
      generated.push(token);
      if (generated.length >= tokens) break;
    }
    return {count: generated.length};
  });
  console.log(`${promptTokens > 0 ? "llama.cpp decode".padEnd(22) : "llama.cpp"} ` +
              `threads=${threads}  ${line}`);
  console.log(`  tokens: ${generated.slice(0, 32).join(",")}...`);
  await context.dispose();
}
await model.dispose();
