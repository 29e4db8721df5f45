import { readdir, readFile, readlink } from 'node:fs/promises';
import type { RecordedRequest } from '../support/receiver.js';

/** One of the processes that may send requests, by a label the checks use. */
export interface Sender {
  readonly label: string;
  readonly pid: number | null;
}

/**
 * Which process sent each request. All of them come from 127.0.0.1, so the sender is found from the
 * connection: /proc/net/tcp names the socket (inode) whose local port is the request's remote port,
 * and /proc/<pid>/fd says which process holds that socket (Linux only; a stopped process is read too).
 */
export interface SenderTracker {
  /** Notes a request as it arrives; its sender is looked up while the connection is still open. */
  note(request: RecordedRequest): void;
  /** The label of the request's sender, or null when its connection closed before the look. */
  senderOf(request: RecordedRequest): string | null;
  /** Resolves once every request noted so far has been looked up. */
  settled(): Promise<void>;
}

/** Starts tracking the senders of requests to `serverPort` among `senders()` (read at each look). */
export function trackSenders(serverPort: number, senders: () => readonly Sender[]): SenderTracker {
  const found = new Map<number, string | null>();
  let pending: RecordedRequest[] = [];
  let looking: Promise<void> | null = null;

  const look = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      // Read after every request in the batch arrived: each one's connection is in this snapshot.
      const owners = await portOwners(serverPort, senders()).catch(() => new Map<number, string>());
      batch.forEach((request) => found.set(request.seq, owners.get(request.remotePort ?? 0) ?? null));
    }
    looking = null;
  };

  return {
    note(request) {
      pending.push(request);
      looking ??= look();
    },
    senderOf: (request) => found.get(request.seq) ?? null,
    settled: async () => {
      while (looking !== null) {
        await looking;
      }
    },
  };
}

/** Local port of each open TCP connection to `serverPort` -> the label of the process holding it. */
async function portOwners(serverPort: number, senders: readonly Sender[]): Promise<Map<number, string>> {
  const byInode = new Map<string, string>();
  await Promise.all(
    senders.map(async ({ label, pid }) => {
      if (pid === null) {
        return;
      }
      const dir = `/proc/${pid}/fd`;
      const fds = await readdir(dir).catch(() => []);
      await Promise.all(
        fds.map(async (fd) => {
          const inode = /^socket:\[(\d+)\]$/.exec(await readlink(`${dir}/${fd}`).catch(() => ''))?.[1];
          if (inode !== undefined) {
            byInode.set(inode, label);
          }
        }),
      );
    }),
  );
  const owners = new Map<number, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      const [local, remote, inode] = [fields[1], fields[2], fields[9]];
      if (local === undefined || remote === undefined || inode === undefined) {
        continue;
      }
      const label = byInode.get(inode);
      if (label !== undefined && portOf(remote) === serverPort) {
        owners.set(portOf(local), label);
      }
    }
  }
  return owners;
}

/** The port of a /proc/net/tcp address (`0100007F:1F90`). */
const portOf = (address: string): number => Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
