/** nats-server versions from which a feature works as documented (release tags, x.y.z). */
const FIXED_DISCARD_NEW_MAX_BYTES = [2, 10, 5] as const;

/** Parses 'x.y.z' (ignoring any '-beta' suffix) into numbers; undefined when it is not a version. */
export function parseServerVersion(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) {
    return undefined;
  }
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function atLeast(version: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = version[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) {
      return a > b;
    }
  }
  return true;
}

/**
 * True when max_bytes with discard new refuses publishes instead of silently dropping the oldest
 * messages: before 2.10.5 the file store checked the payload size but evicted by the stored size
 * (nats-server#4771, fixed by #4772). Seen here on 2.9.10: small messages never got refused at all.
 */
export function serverSupportsMaxBytes(version: string | undefined): boolean {
  const parsed = version === undefined ? undefined : parseServerVersion(version);
  return parsed !== undefined && atLeast(parsed, FIXED_DISCARD_NEW_MAX_BYTES);
}
