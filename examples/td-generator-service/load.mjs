// The demo's traffic: many users in phases (warm-up, steady, incident,
// recovery), driven by autocannon against the document service.
import autocannon from "autocannon";

const USERS = 200;
const DOCUMENT_TYPES = ["invoice", "report", "letter", "contract"];

/**
 * The phases of a run as fractions of its duration. During the incident the
 * service answers slowly, fails a share of requests and its workers stall.
 */
export const PHASES = [
  { name: "warm-up", share: 0.15, connections: 2, incident: null },
  { name: "steady", share: 0.35, connections: 6, incident: null },
  {
    name: "incident",
    share: 0.25,
    connections: 6,
    incident: { slowMillis: 1200, errorRate: 0.3, workerStallMillis: 3000 },
  },
  { name: "recovery", share: 0.25, connections: 6, incident: null },
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
 * in all; `onPhase(name, seconds)` is called as each phase starts.
 */
export async function runLoad({
  baseUrl,
  durationSeconds,
  onPhase = () => {},
}) {
  const results = [];
  for (const phase of PHASES) {
    const seconds = Math.max(2, Math.round(durationSeconds * phase.share));
    onPhase(phase.name, seconds);
    await setIncident(baseUrl, phase.incident);
    const result = await autocannon({
      url: baseUrl,
      connections: phase.connections,
      duration: seconds,
      requests: requestTemplates(),
    });
    results.push({
      phase: phase.name,
      requests: result.requests.total,
      errors: result.non2xx,
    });
  }
  await setIncident(baseUrl, null);
  return results;
}
