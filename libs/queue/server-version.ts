import { QueueSettingsError } from './errors.js';

/**
 * The oldest nats-server Hookpost runs on (see docs/architecture.md, "Which nats-server"). Older
 * servers lack what it relies on: max_bytes with discard new that refuses instead of evicting
 * (2.10.5), `sync_interval: always` (2.10), batch direct get (2.11) whose pending count leaves out
 * its end marker (2.12), and atomic batch publish for the outbound feed (2.12).
 */
export const MINIMUM_SERVER_VERSION = '2.12.0';

/** The connected nats-server is older than MINIMUM_SERVER_VERSION (or did not say its version). */
export class ServerTooOldError extends QueueSettingsError {
  override readonly name = 'ServerTooOldError';
}

/** Parses 'x.y.z' (ignoring any '-beta' suffix) into numbers; undefined when it is not a version. */
export function parseServerVersion(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) {
    return undefined;
  }
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** True when `version` (as the server's INFO reports it) is MINIMUM_SERVER_VERSION or newer. */
export function isSupportedServer(version: string | undefined): boolean {
  const [major = 0, minor = 0, patch = 0] = parseServerVersion(version ?? '') ?? [];
  const [minMajor, minMinor, minPatch] = parseServerVersion(MINIMUM_SERVER_VERSION)!;
  return major !== minMajor ? major > minMajor : minor !== minMinor ? minor > minMinor : patch >= minPatch;
}

/** Throws ServerTooOldError, one line naming the version found and the minimum, for an older server. */
export function assertSupportedServer(version: string | undefined): void {
  if (!isSupportedServer(version)) {
    throw new ServerTooOldError(
      `nats-server ${version ?? '(version unknown)'} is too old: Hookpost needs ${MINIMUM_SERVER_VERSION} or newer (your distribution's nats-server package, the release binary, or the nats:2.12 container image)`,
    );
  }
}
