import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { runInThisContext } from 'node:vm';

/** A child process started by a test helper; it is SIGKILLed if the test process exits first. */
export interface OwnedProcess {
  readonly child: ChildProcess;
  /** The last 16 KiB of stderr (and any spawn error), for error messages. */
  stderr(): string;
  exited(): boolean;
  /** Sends `signal`, escalates to SIGKILL after `graceMs`, and resolves once the process has exited. */
  terminate(signal: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const STDERR_KEEP = 16_384;

// Jest gives each test file its own copy of `process`, whose 'exit' never fires; code that vm runs in this
// context sees the real one. One registry on it, shared by all test files of a worker, holds the cleanups.
const REGISTRY = Symbol.for('hookpost.test.atExit');
const realProcess = runInThisContext('process') as NodeJS.Process &
  Record<symbol, Set<() => void> | undefined>;

function registry(): Set<() => void> {
  const existing = realProcess[REGISTRY];
  if (existing !== undefined) {
    return existing;
  }
  const cleanups = new Set<() => void>();
  realProcess[REGISTRY] = cleanups;
  realProcess.once('exit', () => [...cleanups].reverse().forEach((cleanup) => cleanup()));
  return cleanups;
}

/** Runs the sync `cleanup` when the test process exits (latest first), unless the returned function cancels it. */
export function atExit(cleanup: () => void): () => void {
  const cleanups = registry();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Spawns `command` with stdout ignored and stderr captured, tracked so that it dies with this process. */
export function spawnOwned(command: string, args: readonly string[]): OwnedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.on('error', (err) => (stderr += `\n[spawn ${command}] ${err.message}`));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_KEEP)));
  if (child.pid !== undefined) {
    child.once(
      'exit',
      atExit(() => child.kill('SIGKILL')),
    );
  }
  // Unreferenced, a forgotten child cannot keep Jest alive, so 'exit' fires and the cleanup above runs.
  child.unref();
  (child.stderr as Socket | null)?.unref();

  // A failed spawn (ENOENT) sets exitCode but never emits 'exit'.
  const exited = (): boolean =>
    child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    stderr: () => stderr,
    exited,
    async terminate(signal, graceMs = 10_000) {
      if (exited()) {
        return;
      }
      const exit = once(child, 'exit');
      child.kill(signal);
      const escalate = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exit;
      } finally {
        clearTimeout(escalate);
      }
    },
  };
}
