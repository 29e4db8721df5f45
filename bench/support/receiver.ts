import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ReceiverCommand, ReceiverStats } from './receiver-protocol.js';

/** The receiver process as the harness drives it. */
export interface BenchReceiver {
  readonly url: string;
  readonly pid: number;
  reset(options?: { trackIds?: boolean; trackPaths?: boolean }): Promise<void>;
  setMode(mode: 'ok' | 'fail'): Promise<void>;
  stats(): Promise<ReceiverStats>;
  receivedAt(): Promise<Map<string, number>>;
  completePaths(expected: number): Promise<string[]>;
  pathCount(): Promise<number>;
  mark(watch: string[]): Promise<number>;
  close(): Promise<void>;
}

/** Forks bench/receiver-process.js next to this module's folder and waits until it listens. */
export async function startBenchReceiver(): Promise<BenchReceiver> {
  const script = fileURLToPath(new URL('../receiver-process.js', import.meta.url));
  const child: ChildProcess = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
    child.on(
      'message',
      (message: { ready?: boolean; port?: number; id?: number; result?: unknown; error?: string }) => {
        if (message.ready === true && message.port !== undefined) {
          resolve(message.port);
          return;
        }
        const waiter = message.id === undefined ? undefined : pending.get(message.id);
        if (waiter !== undefined && message.id !== undefined) {
          pending.delete(message.id);
          if (message.error !== undefined) {
            waiter.reject(new Error(message.error));
          } else {
            waiter.resolve(message.result);
          }
        }
      },
    );
  });
  const ask = <T>(command: ReceiverCommand): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: (value) => resolve(value as T), reject });
      child.send({ id, command });
    });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    reset: (options = {}) => ask({ cmd: 'reset', ...options }),
    setMode: (mode) => ask({ cmd: 'mode', mode }),
    stats: () => ask({ cmd: 'stats' }),
    receivedAt: async () => new Map(await ask<Array<[string, number]>>({ cmd: 'receivedAt' })),
    completePaths: (expected) => ask({ cmd: 'completePaths', expected }),
    pathCount: () => ask({ cmd: 'pathCount' }),
    mark: (watch) => ask({ cmd: 'mark', watch }),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
