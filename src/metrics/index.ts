export * from "./catalog.js";
export * from "./prometheus-name.js";
