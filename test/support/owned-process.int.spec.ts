import { runInThisContext } from 'node:vm';
import { atExit, spawnOwned } from './owned-process.js';

const idleNode = ['-e', 'process.stderr.write("booted\\n"); setInterval(() => {}, 1000)'];

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('captures stderr and terminates with the given signal', async () => {
  const proc = spawnOwned(process.execPath, idleNode);
  await until(() => proc.stderr().includes('booted'));
  expect(proc.exited()).toBe(false);
  await proc.terminate('SIGTERM');
  expect(proc.exited()).toBe(true);
  expect(proc.child.signalCode).toBe('SIGTERM');
  await proc.terminate('SIGTERM');
});

test('escalates to SIGKILL when the signal is ignored', async () => {
  const stubborn = [
    '-e',
    'process.on("SIGTERM", () => {}); process.stderr.write("ready"); setInterval(() => {}, 1000)',
  ];
  const proc = spawnOwned(process.execPath, stubborn);
  await until(() => proc.stderr().includes('ready'));
  await proc.terminate('SIGTERM', 200);
  expect(proc.child.signalCode).toBe('SIGKILL');
});

test('reports a spawn failure as exited, with the error in stderr', async () => {
  const proc = spawnOwned('/nonexistent/hookpost-no-such-binary', []);
  await until(() => proc.stderr().includes('ENOENT'));
  expect(proc.exited()).toBe(true);
  await proc.terminate('SIGTERM');
});

describe('atExit', () => {
  // The real process, as owned-process.ts reaches it from inside Jest's sandbox.
  const real = runInThisContext('process') as NodeJS.Process & Record<symbol, Set<() => void> | undefined>;
  const registered = (): Set<() => void> => real[Symbol.for('hookpost.test.atExit')] ?? new Set();

  test('registers on the real process, which Jest does not sandbox', () => {
    const cancel = atExit(() => undefined);
    try {
      expect(real).not.toBe(process);
      expect(real.listenerCount('exit')).toBeGreaterThan(0);
      expect(registered().size).toBeGreaterThan(0);
    } finally {
      cancel();
    }
  });

  test('keeps cleanups in order until cancelled', () => {
    const before = new Set(registered());
    const calls: string[] = [];
    const cancels = ['a', 'b', 'c'].map((name) => atExit(() => calls.push(name)));
    cancels[1]?.();
    const ours = [...registered()].filter((cleanup) => !before.has(cleanup));
    ours.reverse().forEach((cleanup) => cleanup());
    expect(calls).toEqual(['c', 'a']);
    cancels.forEach((cancel) => cancel());
    expect(registered().size).toBe(before.size);
  });

  test('an owned child stays registered for SIGKILL until it exits', async () => {
    const before = registered().size;
    const proc = spawnOwned(process.execPath, idleNode);
    expect(registered().size).toBe(before + 1);
    const killAtExit = [...registered()].at(-1);
    killAtExit?.();
    await until(() => proc.exited());
    expect(proc.child.signalCode).toBe('SIGKILL');
    expect(registered().size).toBe(before);
  });
});
