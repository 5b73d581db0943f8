// llama.cpp's reference answers for the engine's conformance test (llama_cpp_conformance_test.cc):
// for each model file and prompt, llama.cpp's tokenization of the prompt, its greedy
// continuation, and at every generated position the most likely next tokens with their
// log-probabilities (natural-log softmax of llama.cpp's raw logits).
//
//   node tests/conformance/llama_cpp_reference.mjs --node-modules DIR --tokens 32 --top 5 \
//        [--context 256] --model A.gguf [--model B.gguf ...] --prompt TEXT [--prompt TEXT ...]
//
// DIR is the node_modules folder that scripts/install-npm-tools.sh prints (an ES module import
// does not read NODE_PATH). Writes one JSON object to stdout:
//   {"models": [{"path", "bos", "prompts": [{"text", "prompt_ids" (no BOS), "special_ids" (the
//                same text with special tokens parsed, as a chat template's markup is),
//                "tokens" (greedy), "top": [[[id, logprob], ...] per generated position]}]}]}
// With --tokens 0 only the tokenizations are made (no context is created).
//
// The KV cache is F32 and flash attention off, so that an F32 model is compared with llama.cpp
// computing in F32 throughout (its default F16 cache rounds keys and values).
import path from "node:path";
import {pathToFileURL} from "node:url";

const args = process.argv.slice(2);
const values = (name) => args.flatMap((arg, i) => (arg === name ? [args[i + 1]] : []));
const nodeModules = values("--node-modules")[0];
const models = values("--model");
const prompts = values("--prompt");
const tokens = Number(values("--tokens")[0] ?? "32");
const top = Number(values("--top")[0] ?? "5");
// Positions in the context (at most the model's): prompt plus generated tokens must fit.
const contextSize = Number(values("--context")[0] ?? "256");
if (!nodeModules || models.length === 0 || prompts.length === 0 || !(tokens >= 0) || !(top > 0) ||
    !(contextSize > 0)) {
  console.error("usage: node llama_cpp_reference.mjs --node-modules DIR [--tokens N] [--top K] " +
                "[--context N] --model FILE... --prompt TEXT...");
  process.exit(2);
}

const entry = path.join(nodeModules, "node-llama-cpp", "dist", "index.js");
let getLlama;
try {
  ({getLlama} = await import(pathToFileURL(entry).href));
} catch (error) {
  console.error(`cannot load node-llama-cpp from ${entry} (run scripts/install-npm-tools.sh): ` +
                error.message);
  process.exit(3);
}

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const generateNext = {generateNext: {token: true, probabilities: true}};

// The `top` most likely next tokens; the map is sorted from the most likely down.
function Top(probabilities) {
  const out = [];
  for (const [token, probability] of probabilities) {
    if (out.length === top) break;
    out.push([token, Math.log(probability)]);
  }
  return out;
}

const result = {models: []};
for (const modelPath of models) {
  let model;
  try {
    model = await llama.loadModel({modelPath});
  } catch (error) {
    console.error(`llama.cpp cannot load ${modelPath}: ${error.message}`);
    process.exit(4);
  }
  const entryOut = {path: modelPath, bos: model.tokens.bos, prompts: []};
  if (tokens === 0) {
    for (const text of prompts) {
      entryOut.prompts.push({text, prompt_ids: model.tokenize(text),
                             special_ids: model.tokenize(text, true), tokens: [], top: []});
    }
    result.models.push(entryOut);
    await model.dispose();
    continue;
  }
  const context = await model.createContext({
    contextSize: Math.min(model.trainContextSize ?? contextSize, contextSize),
    // One thread: ggml's workers spin between ops, and on a busy 2-core machine (ctest -j2) two
    // of them made each token take about a second instead of a few milliseconds.
    threads: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
  });
  const sequence = context.getSequence();
  for (const text of prompts) {
    const promptIds = model.tokenize(text);
    await sequence.clearHistory();
    const generated = [];
    const tops = [];
    // Greedy (temperature 0), one token at a time: each step feeds the previous step's choice.
    let input = [model.tokens.bos, ...promptIds];
    input[input.length - 1] = [input[input.length - 1], generateNext];
    while (generated.length < tokens) {
      const outputs = await sequence.controlledEvaluate(input);
      const next = outputs[input.length - 1]?.next;
      if (next?.token == null || next.probabilities == null) {
        throw new Error(`llama.cpp returned no next token at position ${generated.length}`);
      }
      generated.push(next.token);
      tops.push(Top(next.probabilities));
      input = [[next.token, generateNext]];
    }
    entryOut.prompts.push({text, prompt_ids: promptIds, special_ids: model.tokenize(text, true),
                           tokens: generated, top: tops});
  }
  sequence.dispose();
  result.models.push(entryOut);
  await context.dispose();
  await model.dispose();
}
process.stdout.write(JSON.stringify(result) + "\n");
