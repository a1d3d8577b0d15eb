/**
 * Request bodies to OTLP metrics requests, from either wire format.
 */
import { otlpTypes } from "./protobuf.js";
import {
  OtlpDecodeError,
  readExportRequest,
  type ResourceMetrics,
} from "./request.js";

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = "protobuf" | "json";

/** Decodes a request body; throws OtlpDecodeError saying what is wrong and where. */
export function decodeExportRequest(
  body: Uint8Array,
  encoding: OtlpEncoding,
): ResourceMetrics[] {
  const plain = encoding === "json" ? parseJson(body) : parseProtobuf(body);
  return readExportRequest(plain);
}

function parseProtobuf(body: Uint8Array): unknown {
  const { exportRequest } = otlpTypes();
  let message;
  try {
    message = exportRequest.decode(body);
  } catch (error) {
    throw new OtlpDecodeError(
      `request body is not a protobuf ExportMetricsServiceRequest: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // int64 fields come out as decimal strings, so none loses precision.
  return exportRequest.toObject(message, { longs: String, arrays: true });
}

function parseJson(body: Uint8Array): unknown {
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  try {
    return JSON.parse(text.decode(body), keepBigIntegers);
  } catch (error) {
    throw new OtlpDecodeError(
      `request body is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * A JSON.parse reviver that keeps integers beyond 2^53 exact: OTLP/JSON
 * allows int64 fields (times in nanoseconds, int values) as bare numbers.
 */
function keepBigIntegers(
  _key: string,
  value: unknown,
  context?: { source?: string },
): unknown {
  if (typeof value !== "number" || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && /^-?\d+$/.test(source)
    ? BigInt(source)
    : value;
}
