/**
 * The resource every series carries: the SDK's defaults, this host and
 * process, then `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`, each
 * overriding the one before, as the SDK specification orders them.
 *
 * @see https://opentelemetry.io/docs/specs/otel/resource/sdk/#specifying-resource-information-via-an-environment-variable
 */
import os from "node:os";
import {
  defaultResource,
  resourceFromAttributes,
  type Resource,
} from "@opentelemetry/resources";
import type { MonitoringConfig } from "./config.js";

// Node's architecture names by the ones `host.arch` allows.
const HOST_ARCH: Readonly<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm32",
  ia32: "x86",
  ppc64: "ppc64",
  s390x: "s390x",
};

/** The resource for a configuration. */
export function buildResource(
  config: Pick<MonitoringConfig, "resourceAttributes" | "serviceName">,
): Resource {
  // Command-line arguments are left out: they may hold secrets.
  const local = resourceFromAttributes({
    "host.name": os.hostname(),
    "host.arch": HOST_ARCH[process.arch] ?? process.arch,
    "process.pid": process.pid,
    "process.runtime.name": "nodejs",
    "process.runtime.version": process.versions.node,
  });
  const fromEnvironment = resourceFromAttributes({
    ...config.resourceAttributes,
    ...(config.serviceName === undefined
      ? {}
      : { "service.name": config.serviceName }),
  });
  return defaultResource().merge(local).merge(fromEnvironment);
}
