/**
 * The report laid out as blocks (headings, tables, charts, notes) that the
 * text, Markdown and HTML renderers share, so every format says the same.
 * Cell texts are plain strings: each renderer escapes them for its format.
 */
import type { Chart } from "../types.js";

/** One piece of the laid-out report. */
export type Block =
  | { readonly kind: "section"; readonly id: string; readonly title: string }
  | { readonly kind: "heading"; readonly text: string }
  | {
      readonly kind: "paragraph";
      readonly text: string;
      /** `note` for "no data" and caveats, `finding` for a called-out fact. */
      readonly tone?: "note" | "finding";
    }
  | {
      readonly kind: "table";
      readonly columns: readonly string[];
      readonly rows: ReadonlyArray<readonly string[]>;
    }
  | { readonly kind: "chart"; readonly chart: Chart };

/** A report laid out: a title, lines under it, then the blocks. */
export interface Layout {
  readonly title: string;
  readonly subtitle: readonly string[];
  readonly blocks: readonly Block[];
}
