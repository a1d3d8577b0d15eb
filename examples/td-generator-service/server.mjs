// The TD Generator demo service: generate documents (Markdown to HTML), fetch
// them through a cache, run batch jobs on a worker queue, take feedback.
// Monitoring comes only from `node --require td-monitoring/register` (the demo)
// or `--import` (the pipeline test) and the
// `metrics` API; nothing here knows about OpenTelemetry.
import { setTimeout as sleep } from "node:timers/promises";
import express from "express";
import { metrics } from "td-monitoring";
import { LruCache } from "./cache.mjs";
import { renderDocument, sampleSource } from "./documents.mjs";
import { JobQueue } from "./queue.mjs";

const FEATURES = ["generate", "fetch", "batch", "feedback"];
metrics.allowFeatures(FEATURES);

const documents = new Map();
const recent = [];
const cache = new LruCache(20);
const seenUsers = new Set();
const SESSION_IDLE_MILLIS = 30_000;
const sessionLastSeen = new Map();

// What /admin/incident turns on: slow answers, failures, stalled workers.
let incident = { slowMillis: 0, errorRate: 0, workerStallMillis: 0 };

function generate(type, sections) {
  const started = performance.now();
  try {
    if (Math.random() < incident.errorRate) throw new Error("renderer crashed");
    const document = renderDocument(documents, {
      type,
      source: sampleSource(sections),
    });
    recent.push(document.id);
    if (recent.length > 30) recent.shift();
    metrics.documentProcessed({
      type,
      outcome: "success",
      durationSeconds: (performance.now() - started) / 1000,
      sizeBytes: Buffer.byteLength(document.html),
    });
    return document;
  } catch (error) {
    metrics.documentProcessed({
      type,
      outcome: "failure",
      durationSeconds: (performance.now() - started) / 1000,
    });
    metrics.error("RenderError");
    throw error;
  }
}

const queue = new JobQueue(2, async ({ type, sections }) => {
  if (incident.workerStallMillis > 0) await sleep(incident.workerStallMillis);
  generate(type, sections);
});

// Queue length is sampled, as an operator would read it.
setInterval(() => metrics.queueLength("batch", queue.length), 500).unref();

const app = express();
app.use(express.json());

app.use((request, _response, next) => {
  const user = request.get("x-user-id");
  if (user) {
    if (!seenUsers.has(user)) {
      seenUsers.add(user);
      metrics.newUser();
    }
    metrics.userActive(user);
    if (!sessionLastSeen.has(user)) metrics.sessionStarted();
    sessionLastSeen.set(user, Date.now());
  }
  next();
});

// A session ends after a quiet spell, as a web session would.
setInterval(() => {
  const cutoff = Date.now() - SESSION_IDLE_MILLIS;
  for (const [user, lastSeen] of sessionLastSeen) {
    if (lastSeen >= cutoff) continue;
    sessionLastSeen.delete(user);
    metrics.sessionEnded();
  }
}, 5_000).unref();

// In an incident, reads and writes of documents wait on a slow dependency.
async function slowDown() {
  if (incident.slowMillis > 0) await sleep(incident.slowMillis * Math.random());
}

app.post("/documents", async (request, response) => {
  metrics.featureUsed("generate");
  await slowDown();
  try {
    const { type = "report", sections = 10 } = request.body ?? {};
    const document = generate(type, sections);
    response.status(201).json({ id: document.id, bytes: document.html.length });
  } catch (error) {
    response.status(500).json({ error: error.message });
  }
});

app.get("/documents/recent/:index", async (request, response) => {
  metrics.featureUsed("fetch");
  await slowDown();
  const id = recent[Number(request.params.index) % Math.max(recent.length, 1)];
  const cached = id === undefined ? undefined : cache.get(id);
  metrics.cacheLookup("documents", cached !== undefined);
  const document = cached ?? documents.get(id);
  if (document === undefined)
    return response.status(404).json({ error: "no such document" });
  cache.set(id, document);
  response.json({ id, type: document.type, bytes: document.html.length });
});

app.post("/jobs", (request, response) => {
  metrics.featureUsed("batch");
  const { type = "report", sections = 20 } = request.body ?? {};
  queue.push({ type, sections });
  response.status(202).json({ queued: queue.length });
});

app.post("/feedback", (request, response) => {
  metrics.featureUsed("feedback");
  const score = Number(request.body?.score);
  if (!(score >= 1 && score <= 5))
    return response.status(400).json({ error: "score must be 1 to 5" });
  metrics.satisfaction(score);
  response.status(204).end();
});

app.post("/admin/incident", (request, response) => {
  incident = {
    slowMillis: 0,
    errorRate: 0,
    workerStallMillis: 0,
    ...request.body,
  };
  response.json(incident);
});

const port = Number(process.env.PORT ?? 8080);
const server = app.listen(port, "127.0.0.1", () => {
  const address = server.address();
  // The demo reads this line to learn the port.
  console.log(
    `td-generator-service listening on http://127.0.0.1:${address.port}`,
  );
});

// Stop taking requests, let those under way finish for a moment, then drop
// what is left: a client holding a keep-alive connection open must not keep
// the process up. Once the server is closed the process ends, and the
// register entry exports the last metrics on the way out.
const DRAIN_MILLIS = 2000;

function shutDown() {
  server.close();
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), DRAIN_MILLIS).unref();
}

for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, shutDown);
