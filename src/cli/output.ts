/**
 * How reading commands print: JSON for `--json` (NaN and infinities as null),
 * values with human units, and colour only on a terminal that wants it.
 */

/** Whether to colour a stream: a TTY, and neither NO_COLOR nor TERM=dumb. */
export function useColour(
  stream: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
}

// Every styled piece styles() made, so table() tells our colours from an
// escape an app smuggled into a label (which it shows escaped instead).
const styledPieces = new Set<string>();

/** ANSI styles that are no-ops when colour is off; the text is made printable first. */
export function styles(colour: boolean) {
  const wrap = (code: string) => (text: string) => {
    if (!colour) return printable(text);
    const piece = `\u001b[${code}m${printable(text)}\u001b[0m`;
    styledPieces.add(piece);
    return piece;
  };
  return {
    bold: wrap("1"),
    dim: wrap("2"),
    red: wrap("31"),
    yellow: wrap("33"),
    green: wrap("32"),
  };
}

/** Writes a value as indented JSON; numbers JSON cannot hold become null. */
export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * A value with its UCUM unit for people: seconds scaled to ms or µs, bytes
 * to KiB…, fractions (`1`) as percent, annotations (`{document}/s`) as
 * words; `—` for no value.
 *
 * @example formatValue(0.0504, "s") // "50.4 ms"
 */
export function formatValue(
  value: number | null | undefined,
  unit: string,
): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  const [base = "", per] = unit.split("/", 2);
  const suffix = per === undefined ? "" : `/${per}`;
  if (base === "s" && per === undefined) return seconds(value);
  if (base === "By") return `${bytes(value)}${suffix}`;
  if (base === "1" && per === undefined) return `${number(value * 100)} %`;
  const word = base.replace(/^\{(.*)\}$/, "$1");
  if (word === "1") return `${number(value)}${suffix}`;
  return `${number(value)} ${plural(word, number(value))}${suffix}`;
}

/** `user` for 1, `users` otherwise: the count as printed decides. */
export function plural(word: string, shown: string): string {
  return shown === "1" || shown === "-1" ? word : `${word}s`;
}

function seconds(value: number): string {
  const size = Math.abs(value);
  if (size !== 0 && size < 1e-3) return `${number(value * 1e6)} µs`;
  if (size !== 0 && size < 1) return `${number(value * 1e3)} ms`;
  return `${number(value)} s`;
}

function bytes(value: number): string {
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${number(scaled)} ${BYTE_UNITS[unit]}`;
}

/**
 * A number for people: 3 significant digits (`0.298`, `4.83`, `154`), whole
 * numbers from 100 up with thousands separators (`1,235`), no exponent or
 * trailing zeros.
 */
export function number(value: number): string {
  if (value === 0) return "0";
  if (Math.abs(value) >= 100 || Number.isInteger(value))
    return Math.round(value).toLocaleString("en-US");
  return String(Number(value.toPrecision(3)));
}

// C0 controls, DEL and C1 controls: what a terminal acts on rather than shows.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const STYLED_PIECE = /\u001b\[\d+m[^\u001b]*\u001b\[0m/g;

/**
 * Text an app sent (a label, a mountpoint) made safe for a terminal: each
 * control character is shown as an escape (`\n`, `\x1b`) instead of being
 * acted on, so a `service.name` cannot colour, move the cursor or break a
 * table row.
 *
 * @example printable("evil\u001b[31m\n") // "evil\\x1b[31m\\n"
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    if (c === "\r") return "\\r";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** A cell made printable, keeping only the styled pieces styles() made. */
function printableCell(cell: string): string {
  let out = "";
  let at = 0;
  for (const match of cell.matchAll(STYLED_PIECE)) {
    if (!styledPieces.has(match[0])) continue;
    out += printable(cell.slice(at, match.index)) + match[0];
    at = match.index + match[0].length;
  }
  return out + printable(cell.slice(at));
}

/**
 * Lines of columns padded to the widest cell. Every cell is made printable
 * here, so whatever a command puts in a table cannot drive the terminal.
 */
export function table(rows: readonly (readonly string[])[]): string {
  return alignColumns(rows.map((row) => row.map(printableCell)));
}

function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach(
      (cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))),
    );
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1
            ? cell
            : cell + " ".repeat((widths[i] ?? 0) - visibleLength(cell)),
        )
        .join("  "),
    )
    .join("\n");
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}
