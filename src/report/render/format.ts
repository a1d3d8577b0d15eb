/**
 * Figures as people read them: fractions as percentages, seconds as ms or
 * durations, bytes with binary prefixes, counts with their annotation.
 */
import type { Figure } from "../types.js";

/** Shown where a figure has no value. */
export const NO_VALUE = "n/a";

const BYTE_PREFIXES = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** A figure in words and digits, by its unit. */
export function formatFigure(figure: Figure): string {
  if (figure.value === null) return NO_VALUE;
  return formatValue(figure.value, figure.unit);
}

/** A plain number: for coefficients and p-values. */
export function formatNumber(figure: Figure, digits = 3): string {
  return figure.value === null ? NO_VALUE : round(figure.value, digits);
}

/** A p-value: small ones as `< 0.001`. */
export function formatPValue(figure: Figure): string {
  if (figure.value === null) return NO_VALUE;
  return figure.value < 0.001 ? "< 0.001" : round(figure.value, 2);
}

/** A signed figure, for changes and slopes. */
export function formatSigned(figure: Figure): string {
  if (figure.value === null) return NO_VALUE;
  const text = formatFigure(figure);
  return figure.value > 0 ? `+${text}` : text;
}

function formatValue(value: number, unit: string): string {
  if (unit.endsWith("/h") && unit !== "{currency}/h") {
    return `${formatValue(value, unit.slice(0, -2))}/h`;
  }
  if (unit === "1/d") return `${percent(value)}/d`;
  switch (unit) {
    case "1":
      return percent(value);
    case "s":
      return seconds(value);
    case "By":
      return bytes(value);
    case "By/s":
      return `${bytes(value)}/s`;
    case "h":
      return `${round(value, 3)} h`;
    case "{currency}":
      return round(value, 4);
    case "{currency}/h":
      return `${round(value, 4)} per hour`;
    case "{score}":
      return round(value, 2);
  }
  const perSecond = /^\{(.+)\}\/s$/.exec(unit);
  if (perSecond) return `${round(value, 3)} ${perSecond[1]}/s`;
  const annotation = /^\{(.+)\}$/.exec(unit);
  if (annotation) return `${count(value)} ${plural(annotation[1]!, value)}`;
  return `${round(value, 3)} ${unit}`;
}

function percent(fraction: number): string {
  const p = fraction * 100;
  return `${Math.abs(p) >= 10 || p === 0 ? p.toFixed(1) : p.toFixed(2)}%`;
}

function seconds(s: number): string {
  const a = Math.abs(s);
  if (a < 1) return `${round(s * 1000, 3)} ms`;
  if (a < 120) return `${round(s, 3)} s`;
  if (a < 7200) return `${round(s / 60, 3)} min`;
  if (a < 172_800) return `${round(s / 3600, 3)} h`;
  return `${round(s / 86_400, 3)} d`;
}

function bytes(b: number): string {
  let value = b;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < BYTE_PREFIXES.length - 1) {
    value /= 1024;
    i++;
  }
  return `${round(value, 3)} ${BYTE_PREFIXES[i]}`;
}

function count(value: number): string {
  return Number.isInteger(value)
    ? value.toLocaleString("en-US")
    : round(value, 3);
}

function plural(noun: string, value: number): string {
  return value === 1 ? noun : `${noun}s`;
}

/** A number to `digits` significant digits, without exponent or trailing zeros. */
export function round(value: number, digits: number): string {
  if (value === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return Number(value.toFixed(Math.min(decimals, 20))).toLocaleString("en-US", {
    maximumFractionDigits: 20,
  });
}

/** An ISO time as `YYYY-MM-DD HH:MM UTC`, or n/a. */
export function formatTime(iso: string | null): string {
  if (iso === null) return NO_VALUE;
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
