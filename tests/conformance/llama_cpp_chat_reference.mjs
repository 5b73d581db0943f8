// The reference token ids of a chat conversation, for the engine's chat template conformance
// test (tests/conformance/byte_level_bpe_conformance_test.cc), made as llama-server and
// Hugging Face transformers make them: the model file's own Jinja template
// (tokenizer.chat_template) rendered by a real Jinja engine (@huggingface/jinja, which
// node-llama-cpp depends on) with add_generation_prompt, then tokenized by llama.cpp with
// special tokens parsed.
//
//   node tests/conformance/llama_cpp_chat_reference.mjs --node-modules DIR --model FILE \
//        --messages JSON
//
// JSON: [{"role": "system" | "user" | "assistant", "content": "..."}, ...]. Writes one JSON
// object to stdout: {"template": "<the Jinja source>", "rendered": "<its output>", "ids": [...]}.
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const args = process.argv.slice(2);
const value = (name) => args[args.indexOf(name) + 1];
const nodeModules = value('--node-modules');
const modelPath = value('--model');
const messagesJson = value('--messages');
if (!nodeModules || !modelPath || !messagesJson || args.length !== 6) {
  console.error(
      'usage: node llama_cpp_chat_reference.mjs --node-modules DIR --model FILE ' +
      '--messages JSON');
  process.exit(2);
}

const entry = path.join(nodeModules, 'node-llama-cpp', 'dist', 'index.js');
let llamaCpp, jinja;
try {
  llamaCpp = await import(pathToFileURL(entry).href);
  jinja = await import(
      pathToFileURL(path.join(nodeModules, '@huggingface', 'jinja', 'dist', 'index.js')).href);
} catch (error) {
  console.error(
      `cannot load node-llama-cpp from ${entry} (run scripts/install-npm-tools.sh): ` +
      error.message);
  process.exit(3);
}

const llama = await llamaCpp.getLlama({gpu: false, build: 'never', logLevel: 'error'});
let model;
try {
  model = await llama.loadModel({modelPath});
} catch (error) {
  console.error(`llama.cpp cannot load ${modelPath}: ${error.message}`);
  process.exit(4);
}
const template = model.fileInfo.metadata?.tokenizer?.chat_template;
if (typeof template !== 'string') {
  console.error(`${modelPath} has no tokenizer.chat_template`);
  process.exit(5);
}

const rendered = new jinja.Template(template).render({
  messages: JSON.parse(messagesJson),
  add_generation_prompt: true,
  bos_token: model.tokens.bosString ?? '',
  eos_token: model.tokens.eosString ?? '',
});
const ids = model.tokenize(rendered, true);
process.stdout.write(JSON.stringify({template, rendered, ids: Array.from(ids)}) + '\n');
await model.dispose();
