import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { PrometheusClient } from "../../../src/store/prometheus/client.js";
import { PrometheusStore } from "../../../src/store/prometheus/store.js";
import { StoreUnavailableError } from "../../../src/store/types.js";
import { QueryError, type Query } from "../../../src/query/model.js";
import { freePort } from "../../helpers/prometheus.js";

const QUERY: Query = {
  metric: "td.documents.processed",
  statistic: { kind: "rate" },
  startMillis: 1_700_000_000_000,
  endMillis: 1_700_000_300_000,
  filters: [{ key: "td.document.type", op: "=", value: 'in"voice' }],
  groupBy: ["td.document.type"],
};

type Handler = (request: IncomingMessage, body: string) => [number, unknown];

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) =>
    server ? server.close(resolve) : resolve(undefined),
  );
  server = undefined;
});

async function serve(handler: Handler): Promise<string> {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const [status, answer] = handler(request, body);
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(
        typeof answer === "string" ? answer : JSON.stringify(answer),
      );
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

const vector = (value: string) => ({
  status: "success",
  data: {
    resultType: "vector",
    result: [
      {
        metric: { td_document_type: "invoice" },
        value: [1_700_000_300, value],
      },
    ],
  },
});

describe("PrometheusStore over HTTP", () => {
  it("compiles the query to PromQL and reads the answer back", async () => {
    let seen: URLSearchParams | undefined;
    const url = await serve((_, body) => {
      seen = new URLSearchParams(body);
      return [200, vector("0.25")];
    });
    const result = await new PrometheusStore({ url }).query(QUERY);
    expect(seen?.get("query")).toBe(
      'sum by (td_document_type) (rate(td_documents_processed_total{td_document_type="in\\"voice"}[300000ms]))',
    );
    expect(seen?.get("time")).toBe("2023-11-14T22:18:20.000Z");
    expect(result.series).toEqual([
      { labels: { "td.document.type": "invoice" }, value: 0.25 },
    ]);
  });

  it.each([
    ["+Inf", Infinity],
    ["-Inf", -Infinity],
    ["NaN", NaN],
  ])("reads %s", async (text, value) => {
    const url = await serve(() => [200, vector(text)]);
    const result = await new PrometheusStore({ url }).query(QUERY);
    expect(result.series[0]?.value).toBe(value);
  });

  it.each([
    [{ bearerToken: "s3cret" }, "", "Bearer s3cret"],
    [
      { basicAuth: { username: "u", password: "p" } },
      "",
      `Basic ${btoa("u:p")}`,
    ],
    [{}, "u:p%40ss@", `Basic ${btoa("u:p@ss")}`],
  ])("authenticates with %j %s", async (auth, userinfo, header) => {
    let seen: IncomingMessage | undefined;
    const url = await serve((request) => {
      seen = request;
      return [200, vector("1")];
    });
    const withUser = url.replace("//", `//${userinfo}`);
    await new PrometheusStore({
      url: withUser,
      ...auth,
      headers: { "X-Scope-OrgID": "tenant-1" },
    }).query(QUERY);
    expect(seen?.headers.authorization).toBe(header);
    expect(seen?.headers["x-scope-orgid"]).toBe("tenant-1");
  });

  it("names the URL and the cause when nothing listens, without the password", async () => {
    const port = await freePort();
    const store = new PrometheusStore({
      url: `http://user:hunter2@127.0.0.1:${port}`,
    });
    const failure = store.query(QUERY);
    await expect(failure).rejects.toThrow(StoreUnavailableError);
    await expect(failure).rejects.toThrow(
      new RegExp(
        `cannot reach http://127\\.0\\.0\\.1:${port}/api/v1/query: ECONNREFUSED`,
      ),
    );
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it("gives up after the timeout", async () => {
    server = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) =>
      server!.listen(0, "127.0.0.1", resolve),
    );
    const { port } = server.address() as { port: number };
    const store = new PrometheusStore({
      url: `http://127.0.0.1:${port}`,
      timeoutMillis: 200,
    });
    await expect(store.query(QUERY)).rejects.toThrow(/no answer within 200 ms/);
    server.closeAllConnections();
  });

  it("tells a store outage from a bad query", async () => {
    const down = new PrometheusStore({
      url: await serve(() => [503, "overloaded"]),
    });
    await expect(down.query(QUERY)).rejects.toThrow(StoreUnavailableError);
    await expect(down.query(QUERY)).rejects.toThrow(
      /answered 503 .*overloaded/,
    );
    await new Promise((resolve) => server!.close(resolve));

    const refusing = new PrometheusStore({
      url: await serve(() => [
        400,
        { status: "error", errorType: "bad_data", error: "parse error" },
      ]),
    });
    await expect(refusing.query(QUERY)).rejects.toThrow(QueryError);
    await expect(refusing.query(QUERY)).rejects.toThrow(
      /refused the query: parse error/,
    );
  });

  it("hints at credentials on 401", async () => {
    const url = await serve(() => [401, "unauthorized"]);
    await expect(new PrometheusStore({ url }).query(QUERY)).rejects.toThrow(
      /401 .*check the bearer token/,
    );
  });
});

describe("PrometheusStore.instantQuery", () => {
  it("runs raw PromQL, labels without __name__", async () => {
    const url = await serve(() => [
      200,
      {
        status: "success",
        data: {
          resultType: "vector",
          result: [
            {
              metric: { __name__: "up", job: "td" },
              value: [1_700_000_000, "1"],
            },
          ],
        },
      },
    ]);
    const results = await new PrometheusStore({ url }).instantQuery(
      "up",
      1_700_000_000_000,
    );
    expect(results).toEqual([{ labels: { job: "td" }, value: 1 }]);
  });
});

describe("PrometheusClient requests in flight", () => {
  it("sends at most 8 at once and answers every one", async () => {
    let open = 0;
    let most = 0;
    server = createServer((request, response) => {
      open += 1;
      most = Math.max(most, open);
      request.resume();
      // Held a little, so that requests pile up if nothing bounds them.
      setTimeout(() => {
        open -= 1;
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end(JSON.stringify(vector("1")));
      }, 30);
    });
    await new Promise<void>((resolve) =>
      server!.listen(0, "127.0.0.1", resolve),
    );
    const { port } = server.address() as { port: number };
    const client = new PrometheusClient({ url: `http://127.0.0.1:${port}` });

    const answers = await Promise.all(
      Array.from({ length: 30 }, () => client.instant("up", 1_700_000_000_000)),
    );

    expect(answers).toHaveLength(30);
    expect(answers.every((a) => a[0]?.points[0]?.[1] === 1)).toBe(true);
    expect(most).toBe(8);
  });
});
