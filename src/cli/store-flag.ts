/**
 * The `--store` flag every reading command takes, and the errors of reading
 * turned into messages the user can act on (printed without a stack trace).
 */
import type { Command } from "commander";
import { MonitoringManager } from "../manager.js";
import { QueryError } from "../query/model.js";
import { StoreSpecError } from "../store/open-store.js";
import {
  StoreUnavailableError,
  UnsupportedQueryError,
} from "../store/types.js";
import { UsageError } from "./errors.js";

/** Adds `--store` to a command. */
export function addStoreOption(command: Command): Command {
  return command.option(
    "--store <store>",
    "where to read: embedded[:DIR] or prometheus:URL (default: $TD_MONITORING_STORE, else embedded:data/monitoring)",
  );
}

/** A manager over the store `--store` names. */
export function managerFor(options: { store?: string }): MonitoringManager {
  return new MonitoringManager(
    options.store === undefined ? {} : { store: options.store },
  );
}

/** Errors the user can fix from the message (bad query, store down) as UsageErrors; others unchanged. */
export function asUsageError(error: unknown): unknown {
  const known =
    error instanceof QueryError ||
    error instanceof StoreUnavailableError ||
    error instanceof StoreSpecError ||
    error instanceof UnsupportedQueryError;
  return known
    ? new UsageError((error as Error).message, { cause: error })
    : error;
}
