/**
 * Loading a package only when the configuration asks for it, synchronously.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/**
 * Loads the ES module build of an installed package, as `import` would, but
 * synchronously: `import()` would make starting asynchronous, and the
 * register entry must have its provider before the app's first line without
 * top-level await (which `--require` refuses). The path comes from
 * `import.meta.resolve`, so the module is the same instance the rest of the
 * ES module graph shares (its `require` build would be a second copy of the
 * SDK).
 */
export function loadPackage<T>(specifier: string): T {
  return require(fileURLToPath(import.meta.resolve(specifier))) as T;
}
