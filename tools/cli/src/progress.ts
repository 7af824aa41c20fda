/** How far a long piece of work has come, shown on a terminal; on anything else it shows nothing. */
export interface Progress {
  /** `done` units of the total are finished. */
  update(done: number): void;
  /** Clears the bar, leaving the line for what comes next. */
  finish(): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;

const NONE: Progress = { update: () => undefined, finish: () => undefined };

/**
 * A progress bar on stderr, redrawn in place at most every 100 ms: only when stderr is a
 * terminal and `quiet` is false (pass `--json` there), so scripts and pipes never see it.
 */
export const progressBar = (label: string, total: number, options: { quiet?: boolean; stream?: NodeJS.WriteStream; now?: () => number } = {}): Progress => {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || !stream.isTTY || total <= 0) return NONE;
  const now = options.now ?? (() => performance.now());
  let drawnAt = Number.NEGATIVE_INFINITY;
  let shown = false;
  const draw = (done: number) => {
    const fraction = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(fraction * WIDTH);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
    shown = true;
  };
  return {
    update: (done) => {
      const time = now();
      if (time - drawnAt < REDRAW_MS && done < total) return;
      drawnAt = time;
      draw(done);
    },
    finish: () => {
      if (shown) stream.write('\r\x1b[K');
    },
  };
};
