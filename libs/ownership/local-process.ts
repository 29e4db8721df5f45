import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where each life leaves its marker: memory of this machine (and IPC namespace), never shared with
 * another machine the way a data dir on a network disk can be.
 */
const MARKERS = '/dev/shm';

/** Where this process runs, as its heartbeat row records it. */
export interface LocalProcess {
  /** The kernel's boot id and the pid namespace: processes with the same host see each other's pids. */
  readonly host: string;
  readonly pid: number;
  /** Drawn at start: a process that later gets the same pid is another life. */
  readonly life: string;
}

/** The marker file of a life. */
export function markerOf(life: string): string {
  return join(MARKERS, `hookpost-life-${life}`);
}

/**
 * This process; null where the kernel does not say (not Linux, no /proc): then this instance
 * judges no neighbour dead and every lease of a vanished instance is waited out.
 */
export function localProcess(): LocalProcess | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const host = `${boot} ${readlinkSync('/proc/self/ns/pid')}`;
    return { host, pid: process.pid, life: randomUUID() };
  } catch {
    return null;
  }
}

/** Leaves the life's marker on this machine; false where it cannot (then it is waited out when it ends). */
export function leaveMarker(life: LocalProcess): boolean {
  try {
    writeFileSync(markerOf(life.life), `${life.pid}\n`, { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

/**
 * True only with proof that the life ran here and has ended: its marker is on this machine (a
 * machine cloned from a snapshot can share the boot id, not markers written after the clone) and
 * the kernel has no process with its pid (ESRCH; EPERM means one lives).
 */
export function lifeEnded(pid: number, life: string): boolean {
  if (!existsSync(markerOf(life))) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes a life's marker (at a graceful stop, or once its leases were freed). */
export function removeMarker(life: string): void {
  rmSync(markerOf(life), { force: true });
}
