export * from "./metrics/index.js";
export type * from "./query/model.js";
export * from "./store/types.js";
