/**
 * The store every reading command uses, chosen by `--store` or
 * `TD_MONITORING_STORE`:
 *
 * - `embedded` or `embedded:DIR`: the embedded store's series database in DIR
 *   (default `TD_MONITORING_DATA_DIR`, else `data/monitoring`);
 * - `prometheus:URL` (or a bare `http(s)://` URL): any Prometheus-compatible
 *   API. Credentials stay out of command lines: `TD_MONITORING_STORE_BEARER_TOKEN`,
 *   or `TD_MONITORING_STORE_USERNAME` and `TD_MONITORING_STORE_PASSWORD` (or
 *   `user:password@` in the URL); `TD_MONITORING_STORE_HEADERS` adds headers
 *   (`X-Scope-OrgID=tenant-1,X-Other=v`); `TD_MONITORING_STORE_TIMEOUT_MS`
 *   bounds each request (default 10000).
 */
import { EmbeddedStore } from "./embedded/query.js";
import { resolveDataDir } from "./embedded/paths.js";
import {
  PrometheusStore,
  type PrometheusStoreOptions,
} from "./prometheus/store.js";
import { redact } from "./prometheus/client.js";
import type { MetricStore } from "./types.js";

/** The environment variable that chooses the store when no flag does. */
export const STORE_ENV = "TD_MONITORING_STORE";

/** A parsed store choice. */
export type StoreSpec =
  | { readonly kind: "embedded"; readonly dataDir: string }
  | { readonly kind: "prometheus"; readonly options: PrometheusStoreOptions };

/** A `--store` value that is not one of the accepted forms. */
export class StoreSpecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreSpecError";
  }
}

/**
 * Parses a store choice (the flag, else `TD_MONITORING_STORE`, else the
 * embedded default); throws a StoreSpecError naming the accepted forms.
 *
 * @example parseStoreSpec("prometheus:http://127.0.0.1:9090")
 */
export function parseStoreSpec(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
): StoreSpec {
  const text = flag ?? (env[STORE_ENV] || "embedded");
  const source = flag === undefined ? STORE_ENV : "--store";
  if (text === "embedded") {
    return { kind: "embedded", dataDir: resolveDataDir(undefined, env) };
  }
  if (text.startsWith("embedded:")) {
    return { kind: "embedded", dataDir: resolveDataDir(text.slice(9), env) };
  }
  const url = text.startsWith("prometheus:") ? text.slice(11) : text;
  if (/^https?:\/\//.test(url)) {
    return { kind: "prometheus", options: prometheusOptions(url, env) };
  }
  throw new StoreSpecError(
    `${source} "${redact(text)}" is not a store; expected embedded, embedded:DIR or prometheus:URL (e.g. prometheus:http://127.0.0.1:9090)`,
  );
}

/** Opens the store a spec names. */
export function openStore(spec: StoreSpec): MetricStore {
  if (spec.kind === "embedded") return EmbeddedStore.open(spec.dataDir);
  try {
    return new PrometheusStore(spec.options);
  } catch (error) {
    throw new StoreSpecError(`prometheus store: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function prometheusOptions(
  url: string,
  env: NodeJS.ProcessEnv,
): PrometheusStoreOptions {
  const username = env.TD_MONITORING_STORE_USERNAME;
  const timeout = env.TD_MONITORING_STORE_TIMEOUT_MS;
  const timeoutMillis =
    timeout === undefined || timeout === "" ? undefined : Number(timeout);
  if (timeoutMillis !== undefined && !(timeoutMillis > 0)) {
    throw new StoreSpecError(
      `TD_MONITORING_STORE_TIMEOUT_MS "${timeout}" is not a positive number of milliseconds`,
    );
  }
  return {
    url,
    ...(env.TD_MONITORING_STORE_BEARER_TOKEN
      ? { bearerToken: env.TD_MONITORING_STORE_BEARER_TOKEN }
      : {}),
    ...(username
      ? {
          basicAuth: {
            username,
            password: env.TD_MONITORING_STORE_PASSWORD ?? "",
          },
        }
      : {}),
    headers: parseHeaders(env.TD_MONITORING_STORE_HEADERS ?? ""),
    ...(timeoutMillis === undefined ? {} : { timeoutMillis }),
  };
}

/** `Name=value,Other=value` as headers; throws naming a pair without `=`. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const at = pair.indexOf("=");
    if (at <= 0) {
      throw new StoreSpecError(
        `TD_MONITORING_STORE_HEADERS: "${pair.trim()}" is not Name=value (e.g. X-Scope-OrgID=tenant-1)`,
      );
    }
    headers[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return headers;
}
