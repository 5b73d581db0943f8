// The official OpenAI SDK (npm `openai`) through the real suite: cascade-orchestrator's
// front door over two real cascade-tier-worker processes (small, large), each fronting
// cascade-test-upstream, whose tool-using fake models (services/tier_worker/testing/
// tool_call_replies.h) make the small tier call an undeclared tool and the large one call
// it right. A tool-using conversation (call, tool result, final answer), unary and
// streamed, climbs past the small tier's invalid call; logprobs come back in OpenAI's
// shape; model aliases hold; an image goes only to the tier that takes images (large), in
// OpenAI's shape. LangChain JS's ChatOpenAI (npm @langchain/openai) runs a
// tool-calling agent loop through the door. Everything on loopback, port 0.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const readline = require("node:readline");
const OpenAI = require("openai");
const { ChatOpenAI } = require("@langchain/openai");
const { HumanMessage, ToolMessage } = require("@langchain/core/messages");

const BIN = process.env.CASCADE_BIN_DIR;
const TEST_BIN = process.env.CASCADE_TEST_BIN_DIR;
const SERVER = `server:
  grpc_listen: 127.0.0.1:0
  metrics_listen: 127.0.0.1:0
  drain_delay: 0s
  drain_grace: 1s
`;

const processes = [];
let scratch;
let client;
let baseURL;
let upstream;

// Starts a server and resolves with its {"event":"listening"} line.
function start(binary, config) {
  const args = [];
  if (config !== undefined) {
    const file = path.join(scratch, `${path.basename(binary)}-${processes.length}.yaml`);
    fs.writeFileSync(file, config);
    args.push("--config", file);
  }
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  processes.push(child);
  const lines = readline.createInterface({ input: child.stderr });
  const log = [];
  return new Promise((resolve, reject) => {
    lines.on("line", (line) => {
      log.push(line);
      try {
        const event = JSON.parse(line);
        if (event.event === "listening") resolve(event);
      } catch (_) {}
    });
    child.on("exit", (code) =>
      reject(new Error(`${binary} exited with ${code}:\n${log.slice(-5).join("\n")}`)),
    );
  });
}

function tierConfig(name, upstream) {
  return `${SERVER}tier: ${name}
openai:
  base_url: http://${upstream}/v1
  model: ${name}-model
  supports_images: ${name === "large"}
retry: {max_retries: 0}
price:
  input_usd_per_mtok: ${name === "small" ? 0.15 : 5}
  output_usd_per_mtok: ${name === "small" ? 0.6 : 15}
`;
}

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cascade-tools-"));
  upstream = (await start(path.join(TEST_BIN, "cascade-test-upstream"))).http;
  const small = (await start(path.join(BIN, "cascade-tier-worker"), tierConfig("small", upstream))).grpc;
  const large = (await start(path.join(BIN, "cascade-tier-worker"), tierConfig("large", upstream))).grpc;
  const orchestrator = await start(
    path.join(BIN, "cascade-orchestrator"),
    `${SERVER}http_listen: 127.0.0.1:0
http:
  model_aliases: {gpt-4o-mini: default}
tiers:
  - {name: small, endpoint: {address: "${small}"}}
  - {name: large, endpoint: {address: "${large}"}}
policies:
  - name: default
    tiers:
      - tier: small
        accept: {logprob: {aggregate: mean, min: -2}}
      - tier: large
  - name: small-only
    tiers: [{tier: small}]
`,
  );
  baseURL = `http://${orchestrator.http}/v1`;
  client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
});

after(() => {
  for (const child of processes) child.kill("SIGTERM");
  fs.rmSync(scratch, { recursive: true, force: true });
});

const tools = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "The weather in a city",
      parameters: {
        type: "object",
        properties: { location: { type: "string" } },
        required: ["location"],
        additionalProperties: false,
      },
    },
  },
];
const question = { role: "user", content: "What is the weather in Paris?" };

test("a tool call climbs past the small tier's invalid call, then the tool result is answered", async () => {
  const first = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [question], tools });
  const call = first.choices[0].message.tool_calls;
  assert.equal(first.choices[0].finish_reason, "tool_calls");
  assert.equal(call.length, 1);
  assert.equal(call[0].type, "function");
  assert.equal(call[0].function.name, "get_weather");
  assert.deepEqual(JSON.parse(call[0].function.arguments), { location: "Paris" });
  assert.equal(first.choices[0].message.content, null);
  const steps = first.cascade.steps;
  assert.deepEqual(steps.map((s) => [s.tier, s.accepted, s.method]), [
    ["small", false, "tool_call"],
    ["large", true, "none"],
  ]);
  assert.match(steps[0].error, /get_weather_v2' is not a declared tool/);
  assert.equal(first.cascade.final_tier, "large");

  // The application runs the tool and sends its result back, with the assistant's call.
  const second = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [
      question,
      first.choices[0].message,
      { role: "tool", tool_call_id: call[0].id, content: "18 C and sunny" },
    ],
    tools,
    logprobs: true,
    top_logprobs: 2,
  });
  assert.equal(second.choices[0].finish_reason, "stop");
  assert.equal(second.choices[0].message.content, "The tool says: 18 C and sunny");
  // The small tier answers text with confident logprobs: no climb.
  assert.equal(second.cascade.final_tier, "small");
  const content = second.choices[0].logprobs.content;
  assert.deepEqual(content.map((t) => t.token), ["The", " tool", " says:", " 18 C and sunny"]);
  assert.equal(content[0].logprob, -0.5);
  assert.equal(content[0].top_logprobs.length, 2);
  assert.deepEqual(content[0].bytes, [84, 104, 101]);
});

test("streamed: the tool call arrives as OpenAI's tool-call deltas", async () => {
  const stream = await client.chat.completions.create({
    model: "default",
    messages: [question],
    tools,
    tool_choice: "required",
    stream: true,
  });
  const calls = [];
  let finish = null;
  let trace = null;
  for await (const chunk of stream) {
    if (chunk.cascade) trace = chunk.cascade;
    for (const choice of chunk.choices) {
      for (const delta of choice.delta.tool_calls ?? []) {
        calls[delta.index] ??= { id: "", name: "", arguments: "" };
        if (delta.id) calls[delta.index].id = delta.id;
        if (delta.function?.name) calls[delta.index].name += delta.function.name;
        if (delta.function?.arguments) calls[delta.index].arguments += delta.function.arguments;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  assert.equal(finish, "tool_calls");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].name, "get_weather");
  assert.deepEqual(JSON.parse(calls[0].arguments), { location: "Paris" });
  assert.deepEqual(trace.steps.map((s) => s.accepted), [false, true]);
});

test("streamed text carries its logprobs", async () => {
  const stream = await client.chat.completions.create({
    model: "default",
    messages: [{ role: "user", content: "hello" }],
    logprobs: true,
    stream: true,
  });
  let text = "";
  const tokens = [];
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? "";
      const own = (choice.logprobs?.content ?? []).map((token) => token.token);
      // A delta's logprobs are its own tokens'.
      if (choice.delta.content) assert.equal(own.join(""), choice.delta.content);
      tokens.push(...own);
    }
  }
  assert.equal(text, "Paris is the capital.");
  assert.deepEqual(tokens, ["Paris", " is", " the", " capital."]);
});

test("models lists policies and aliases; an unknown model is a 404 naming them", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.deepEqual(ids, ["default", "small-only", "gpt-4o-mini"]);
  await assert.rejects(
    client.chat.completions.create({ model: "gpt-5", messages: [question] }),
    (error) => error instanceof OpenAI.NotFoundError && /gpt-4o-mini/.test(error.message),
  );
});

test("bad tool input is a 400 naming the field", async () => {
  const cases = [
    [{ tools: [{ type: "function", function: { name: "bad name" } }] }, /tools\[0\]\.name/],
    [{ tools, tool_choice: "get_time" }, /tool_choice 'get_time'/],
    [{ tool_choice: "auto" }, /tool_choice is set but tools is empty/],
    [{ tools: [{ type: "code_interpreter" }] }, /tools\[0\]\.type/],
    [{ tools: [tools[0], tools[0]] }, /declared twice/],
    [{ reasoning_effort: "extreme" }, /reasoning_effort/],
    [{ n: 2 }, /'n' must be 1/],
  ];
  for (const [extra, message] of cases) {
    await assert.rejects(
      client.chat.completions.create({ model: "default", messages: [question], ...extra }),
      (error) => error instanceof OpenAI.BadRequestError && message.test(error.message),
      JSON.stringify(extra),
    );
  }
  await assert.rejects(
    client.chat.completions.create({
      model: "default",
      messages: [question, { role: "tool", content: "18 C" }],
    }),
    (error) => error instanceof OpenAI.BadRequestError && /tool_call_id/.test(error.message),
  );
});

test("LangChain's ChatOpenAI runs a tool-calling agent loop through the door", async () => {
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "unused",
    maxRetries: 0,
    configuration: { baseURL },
  }).bindTools(tools);
  const messages = [new HumanMessage("What is the weather in Paris?")];
  for (let turn = 0; turn < 4; ++turn) {
    const reply = await model.invoke(messages);
    messages.push(reply);
    if (!reply.tool_calls?.length) break;
    for (const call of reply.tool_calls) {
      assert.equal(call.name, "get_weather");
      messages.push(
        new ToolMessage({ tool_call_id: call.id, content: `18 C in ${call.args.location}` }),
      );
    }
  }
  // The question, the model's call, the tool's result, the model's answer.
  assert.equal(messages.length, 4);
  assert.equal(messages[3].content, "The tool says: 18 C in Paris");
});

test("an image skips the tier that takes none and reaches the one that does, in OpenAI's shape", async () => {
  const image = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg==";
  const before = await (await fetch(`http://${upstream}/admin/stats`)).json();
  const reply = await client.chat.completions.create({
    model: "default",
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "What is in this picture?" },
          { type: "image_url", image_url: { url: image, detail: "low" } },
        ],
      },
    ],
  });
  assert.ok(reply.choices[0].message.content.length > 0);
  const steps = reply.cascade.steps;
  assert.equal(steps[0].tier, "small");
  assert.match(steps[0].skipped, /images/);
  assert.equal(reply.cascade.final_tier, "large");
  const after = await (await fetch(`http://${upstream}/admin/stats`)).json();
  assert.equal(after.image_parts - before.image_parts, 1);
  assert.deepEqual(after.last_image, { url: image, detail: "low" });

  // A policy none of whose tiers takes images says so.
  await assert.rejects(
    client.chat.completions.create({
      model: "small-only",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: image } }] }],
    }),
    (error) => error.status === 400 && /images: no tier of policy 'small-only'/.test(error.message),
  );
});
