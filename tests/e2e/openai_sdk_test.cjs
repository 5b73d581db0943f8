// The official OpenAI SDK (npm `openai`, pinned in tests/npm) against the front door:
// an application switches to Cascade by changing its base URL. Runs with node's test
// runner; CASCADE_FRONT_DOOR_BIN is the front door binary to start (port 0).
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const readline = require("node:readline");
const OpenAI = require("openai");

let server;
let client;

before(async () => {
  server = spawn(process.env.CASCADE_FRONT_DOOR_BIN, [], { stdio: ["ignore", "ignore", "pipe"] });
  const lines = readline.createInterface({ input: server.stderr });
  const address = await new Promise((resolve, reject) => {
    lines.on("line", (line) => {
      try {
        const event = JSON.parse(line);
        if (event.event === "listening") resolve(event.http);
      } catch (_) {}
    });
    server.on("exit", (code) => reject(new Error(`front door exited with ${code}`)));
  });
  client = new OpenAI({ baseURL: `http://${address}/v1`, apiKey: "unused", maxRetries: 0 });
});

after(() => server.kill("SIGTERM"));

test("a whole chat completion, with the cascade trace", async () => {
  const { data, response } = await client.chat.completions
    .create({ model: "default", messages: [{ role: "user", content: "hello" }], max_tokens: 16 })
    .withResponse();
  assert.equal(data.object, "chat.completion");
  assert.equal(data.choices[0].message.content, "echo: hello");
  assert.equal(data.choices[0].finish_reason, "stop");
  assert.equal(data.usage.total_tokens, 12);
  assert.equal(data.cascade.final_tier, "large");
  assert.deepEqual(data.cascade.steps.map((s) => [s.tier, s.accepted]), [["small", false], ["large", true]]);
  assert.equal(response.headers.get("x-cascade-final-tier"), "large");
  assert.equal(response.headers.get("x-cascade-cost-pusd"), "123600000");
});

test("a streamed chat completion with the final usage chunk", async () => {
  const stream = await client.chat.completions.create({
    model: "default",
    messages: [{ role: "user", content: "stream me" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let finish = null;
  let usage = null;
  let trace = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    if (chunk.cascade) trace = chunk.cascade;
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? "";
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  assert.equal(text, "echo: stream me");
  assert.equal(finish, "stop");
  assert.equal(usage.completion_tokens, 5);
  assert.equal(trace.cost_pusd, 123600000);
});

test("models lists the policies", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.deepEqual(ids, ["default", "broken"]);
});

test("errors arrive as the SDK's typed errors, naming the field", async () => {
  await assert.rejects(
    client.chat.completions.create({
      model: "default",
      messages: [{ role: "user", content: "x" }],
      functions: [{ name: "f", parameters: {} }],
    }),
    (error) => error instanceof OpenAI.BadRequestError && /'functions'/.test(error.message),
  );
  await assert.rejects(
    client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    (error) => error instanceof OpenAI.NotFoundError && error.code === "model_not_found",
  );
  await assert.rejects(
    client.chat.completions.create({ model: "broken", messages: [{ role: "user", content: "x" }] }),
    (error) => error instanceof OpenAI.APIError && error.status === 503,
  );
});
