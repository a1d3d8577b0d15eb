/**
 * The OTLP metrics messages, parsed once from the embedded .proto sources
 * with protobufjs.
 */
import protobuf from "protobufjs";
import {
  COMMON_PROTO,
  METRICS_PROTO,
  METRICS_SERVICE_PROTO,
  RESOURCE_PROTO,
  STATUS_PROTO,
} from "./proto/schema.js";

/** The message types the receiver reads and writes. */
export interface OtlpTypes {
  readonly exportRequest: protobuf.Type;
  readonly exportResponse: protobuf.Type;
  readonly status: protobuf.Type;
}

let types: OtlpTypes | undefined;

/** The parsed message types; the schema is parsed on first use. */
export function otlpTypes(): OtlpTypes {
  types ??= parseSchema();
  return types;
}

function parseSchema(): OtlpTypes {
  const root = new protobuf.Root();
  // Imports are satisfied by parsing dependencies first into the same root.
  for (const source of [
    COMMON_PROTO,
    RESOURCE_PROTO,
    METRICS_PROTO,
    METRICS_SERVICE_PROTO,
    STATUS_PROTO,
  ]) {
    protobuf.parse(source, root);
  }
  root.resolveAll();

  const service = "opentelemetry.proto.collector.metrics.v1";
  return {
    exportRequest: root.lookupType(`${service}.ExportMetricsServiceRequest`),
    exportResponse: root.lookupType(`${service}.ExportMetricsServiceResponse`),
    status: root.lookupType("google.rpc.Status"),
  };
}
