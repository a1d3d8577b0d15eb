// The demo's traffic: many users in phases (warm-up, steady, incident,
// recovery), driven by autocannon against the document service.
import autocannon from "autocannon";

const USERS = 200;
const DOCUMENT_TYPES = ["invoice", "report", "letter", "contract"];

/**
 * The phases of a run as fractions of its duration, each at a steady request
 * rate (`rate` per second over `connections` users' connections). During the
 * incident the service answers slowly, fails a share of requests and its
 * workers stall; more connections keep the offered rate up, as users keep
 * arriving when answers slow down.
 */
// Recovery is the longest phase: the alerts' windows must slide past the
// incident before they resolve.
export const PHASES = [
  { name: "warm-up", share: 0.1, connections: 4, rate: 40, incident: null },
  { name: "steady", share: 0.25, connections: 10, rate: 120, incident: null },
  {
    name: "incident",
    share: 0.3,
    connections: 40,
    rate: 120,
    incident: { slowMillis: 1500, errorRate: 0.3, workerStallMillis: 3000 },
  },
  { name: "recovery", share: 0.35, connections: 10, rate: 120, incident: null },
];

function pick(items) {
  return items[Math.floor(Math.random() * items.length)];
}

function userHeaders() {
  return {
    "content-type": "application/json",
    "x-user-id": `user-${Math.floor(Math.random() * USERS)}`,
  };
}

// One request template per endpoint; setupRequest draws a new user each time.
function requestTemplates() {
  const withUser = (request) => ({ ...request, headers: userHeaders() });
  return [
    {
      method: "POST",
      path: "/documents",
      setupRequest: (request) =>
        withUser({
          ...request,
          body: JSON.stringify({ type: pick(DOCUMENT_TYPES), sections: 20 }),
        }),
    },
    {
      method: "GET",
      setupRequest: (request) =>
        withUser({
          ...request,
          path: `/documents/recent/${Math.floor(Math.random() * 30)}`,
        }),
    },
    {
      method: "POST",
      path: "/jobs",
      setupRequest: (request) =>
        withUser({
          ...request,
          body: JSON.stringify({ type: pick(DOCUMENT_TYPES), sections: 40 }),
        }),
    },
    {
      method: "POST",
      path: "/feedback",
      setupRequest: (request) =>
        withUser({
          ...request,
          body: JSON.stringify({ score: 3 + Math.floor(Math.random() * 3) }),
        }),
    },
  ];
}

async function setIncident(baseUrl, incident) {
  const response = await fetch(`${baseUrl}/admin/incident`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(incident ?? {}),
  });
  if (!response.ok)
    throw new Error(`setting the incident failed: HTTP ${response.status}`);
}

/**
 * Runs every phase against the service at `baseUrl` for `durationSeconds`
 * in all; `onPhase(name, seconds)` is called as each phase starts and
 * `onResponse(statusCode)` after each answer. Aborting `signal` stops the
 * phase under way and skips the rest.
 */
export async function runLoad({
  baseUrl,
  durationSeconds,
  onPhase = () => {},
  onResponse = () => {},
  signal,
}) {
  const results = [];
  for (const phase of PHASES) {
    if (signal?.aborted) break;
    const seconds = Math.max(2, Math.round(durationSeconds * phase.share));
    onPhase(phase.name, seconds);
    await setIncident(baseUrl, phase.incident);
    const result = await runPhase(baseUrl, phase, seconds, onResponse, signal);
    results.push({
      phase: phase.name,
      requests: result.requests.total,
      errors: result.non2xx,
    });
  }
  if (!signal?.aborted) await setIncident(baseUrl, null);
  return results;
}

function runPhase(baseUrl, phase, seconds, onResponse, signal) {
  const instance = autocannon({
    url: baseUrl,
    connections: phase.connections,
    overallRate: phase.rate,
    duration: seconds,
    requests: requestTemplates(),
  });
  instance.on("response", (_client, statusCode) => onResponse(statusCode));
  const stop = () => instance.stop();
  signal?.addEventListener("abort", stop, { once: true });
  // Aborted while the phase was being set up: no abort event is coming.
  if (signal?.aborted) stop();
  // The instance is a thenable without finally().
  return Promise.resolve(instance).finally(() =>
    signal?.removeEventListener("abort", stop),
  );
}
