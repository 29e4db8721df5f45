import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';

/** Where this process runs, as its heartbeat row records it. */
export interface LocalProcess {
  /** The kernel's boot id and the pid namespace: processes with the same host see each other's pids. */
  readonly host: string;
  readonly pid: number;
  /** Drawn at start: a process that later gets the same pid is another life. */
  readonly life: string;
}

/**
 * This process, or null where the kernel does not say (not Linux, no /proc): then this instance
 * judges no neighbour dead and every lease of a vanished instance is waited out.
 */
export function localProcess(): LocalProcess | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return { host: `${boot} ${readlinkSync('/proc/self/ns/pid')}`, pid: process.pid, life: randomUUID() };
  } catch {
    return null;
  }
}

/** True only when the kernel says no process has this pid (ESRCH); EPERM means one does. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
