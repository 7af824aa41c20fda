import { progressBar } from './progress';

const terminal = (isTTY: boolean) => {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
};

describe('progressBar', () => {
  it('draws on a terminal, at most every 100 ms but always at the end, and clears its line', () => {
    const { written, stream } = terminal(true);
    let clock = 0;
    const progress = progressBar('replaying', 200, { stream, now: () => clock });

    progress.update(1);
    clock = 50;
    progress.update(50);
    clock = 150;
    progress.update(100);
    progress.update(200);
    progress.finish();

    expect(written).toEqual([
      `\rreplaying [${'-'.repeat(30)}]   0% 1/200`,
      `\rreplaying [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 100/200`,
      `\rreplaying [${'#'.repeat(30)}] 100% 200/200`,
      '\r\x1b[K',
    ]);
  });

  it('writes nothing when stderr is not a terminal, or when quiet (--json)', () => {
    const piped = terminal(false);
    const quiet = terminal(true);

    for (const progress of [progressBar('x', 10, { stream: piped.stream }), progressBar('x', 10, { stream: quiet.stream, quiet: true })]) {
      progress.update(10);
      progress.finish();
    }

    expect([...piped.written, ...quiet.written]).toEqual([]);
  });
});
