// What the demo shows while it runs, on standard error: a progress bar with
// live figures on a terminal, plain timestamped lines otherwise (CI logs,
// pipes), where a redrawn bar would only be noise.
import cliProgress from "cli-progress";

const PLAIN_STATUS_EVERY_MILLIS = 10_000;

/** Formats the live figures of a status for one line. */
export function formatFigures(figures) {
  const { requestsPerSecond, latencyP95Seconds, errorRatePercent } = figures;
  const parts = [
    withUnit(requestsPerSecond, 0, " req/s"),
    `p95 ${withUnit(latencyP95Seconds == null ? null : latencyP95Seconds * 1000, 0, " ms")}`,
    `errors ${withUnit(errorRatePercent, 1, "%")}`,
    `queue ${withUnit(figures.queueLength, 0, "")}`,
    `users ${withUnit(figures.activeUsers, 0, "")}`,
    `firing ${figures.firing ?? 0}`,
  ];
  return parts.join(" | ");
}

// "n/a" alone before the first export: "n/a%" reads as a broken figure.
function withUnit(value, digits, unit) {
  return value == null ? "n/a" : `${value.toFixed(digits)}${unit}`;
}

/** Seconds as m:ss. */
export function clock(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** The display for a terminal, or plain lines when `tty` is false. */
export function createDisplay({ tty, totalSeconds }) {
  return tty ? new BarDisplay(totalSeconds) : new LineDisplay();
}

class BarDisplay {
  #bars = new cliProgress.MultiBar(
    {
      format: "{phase} |{bar}| {elapsed}/{total_time} | {figures}\u001b[0K",
      barsize: 20,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  #bar;

  constructor(totalSeconds) {
    this.#bar = this.#bars.create(totalSeconds, 0, {
      phase: "starting".padEnd(8),
      elapsed: clock(0),
      total_time: clock(totalSeconds),
      figures: "",
    });
  }

  log(line) {
    this.#bars.log(`${line}\n`);
  }

  phase(name) {
    this.#bar.update({ phase: name.padEnd(8) });
  }

  progress(elapsedSeconds) {
    this.#bar.update(elapsedSeconds, { elapsed: clock(elapsedSeconds) });
  }

  figures(figures) {
    this.#bar.update({ figures: formatFigures(figures) });
  }

  stop() {
    this.#bars.stop();
  }
}

class LineDisplay {
  #lastStatusMillis = 0;

  log(line) {
    process.stderr.write(`${line}\n`);
  }

  // The demo logs each phase as it starts.
  phase() {}

  progress() {}

  figures(figures) {
    const now = Date.now();
    if (now - this.#lastStatusMillis < PLAIN_STATUS_EVERY_MILLIS) return;
    this.#lastStatusMillis = now;
    this.log(`  ${formatFigures(figures)}`);
  }

  stop() {}
}
