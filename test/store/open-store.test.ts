import { describe, expect, it } from "vitest";
import {
  parseHeaders,
  parseStoreSpec,
  StoreSpecError,
} from "../../src/store/open-store.js";

describe("parseStoreSpec", () => {
  it.each([
    [undefined, {}, { kind: "embedded", dataDir: "data/monitoring" }],
    [
      undefined,
      { TD_MONITORING_DATA_DIR: "/var/td" },
      { kind: "embedded", dataDir: "/var/td" },
    ],
    ["embedded:/tmp/x", {}, { kind: "embedded", dataDir: "/tmp/x" }],
    [
      undefined,
      { TD_MONITORING_STORE: "embedded:/srv" },
      { kind: "embedded", dataDir: "/srv" },
    ],
  ])("%s with %j", (flag, env, expected) => {
    expect(parseStoreSpec(flag, env)).toEqual(expected);
  });

  it("reads credentials, headers and the timeout from the environment", () => {
    const spec = parseStoreSpec("prometheus:https://mimir.example/prometheus", {
      TD_MONITORING_STORE_BEARER_TOKEN: "t",
      TD_MONITORING_STORE_HEADERS: "X-Scope-OrgID=tenant-1, X-Other = v",
      TD_MONITORING_STORE_TIMEOUT_MS: "2500",
    });
    expect(spec).toEqual({
      kind: "prometheus",
      options: {
        url: "https://mimir.example/prometheus",
        bearerToken: "t",
        headers: { "X-Scope-OrgID": "tenant-1", "X-Other": "v" },
        timeoutMillis: 2500,
      },
    });
  });

  it("takes a bare URL as a Prometheus store", () => {
    expect(parseStoreSpec("http://127.0.0.1:9090", {}).kind).toBe("prometheus");
  });

  it.each([
    [
      "sqlite:/x",
      /--store "sqlite:\/x" is not a store; expected embedded, embedded:DIR or prometheus:URL/,
    ],
    ["prometheus:ftp://u:pw@x", /prometheus:ftp:\/\/u:\*\*\*@x/],
  ])("refuses %s, naming the forms", (flag, message) => {
    expect(() => parseStoreSpec(flag, {})).toThrow(StoreSpecError);
    expect(() => parseStoreSpec(flag, {})).toThrow(message);
  });

  it("refuses a header without a value", () => {
    expect(() => parseHeaders("X-Scope-OrgID")).toThrow(/not Name=value/);
  });
});
