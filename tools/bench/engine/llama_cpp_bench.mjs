// llama.cpp's tokens per second on a GGUF file, through node-llama-cpp, for comparison with
// cascade-bench-engine. Greedy, the same prompt token ids, the same number of new tokens.
//
//   npm i -E --omit=optional node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1
//   node tools/bench/engine/llama_cpp_bench.mjs MODEL.gguf --tokens 200 --threads 1,2 \
//        --prompt-ids 1,826,983 [--repeats 5]
//
// Prints one line per thread count (best and median tok/s), plus the generated token ids so a
// reader can check both engines produced the same text.
import {getLlama} from "node-llama-cpp";

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
if (!modelPath) {
  console.error("usage: node llama_cpp_bench.mjs MODEL.gguf [--tokens N] [--threads 1,2] " +
                "[--prompt-ids 1,826,983] [--repeats N]");
  process.exit(2);
}

const llama = await getLlama({gpu: false, build: "never", maxThreads: 0});
const model = await llama.loadModel({modelPath});
for (const threads of threadCounts) {
  const context = await model.createContext({
    contextSize: Math.min(model.trainContextSize ?? 2048, 2048), threads, batchSize: 512});
  const rates = [];
  const cpuRates = [];  // tokens per CPU-second of this process: robust on a busy machine
  let generated = [];
  for (let run = 0; run <= repeats; ++run) {  // run 0 warms up
    const sequence = context.getSequence();
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    generated = [];
    for await (const token of sequence.evaluate(promptIds, {temperature: 0})) {
      generated.push(token);
      if (generated.length >= tokens) break;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    if (run > 0) {
      rates.push(generated.length / seconds);
      cpuRates.push(generated.length / ((cpu.user + cpu.system) / 1e6));
    }
    sequence.dispose();
  }
  rates.sort((a, b) => a - b);
  console.log(`llama.cpp threads=${threads}  best ${rates[rates.length - 1].toFixed(1)} tok/s  ` +
              `median ${rates[Math.floor(rates.length / 2)].toFixed(1)} tok/s  ` +
              `(${Math.max(...cpuRates).toFixed(1)} tok per CPU-s)`);
  console.log(`  tokens: ${generated.slice(0, 32).join(",")}...`);
  await context.dispose();
}
await model.dispose();
