/** One request as the receiver saw it, recorded before it was answered. */
export interface RecordedRequest {
  /** 1-based, in the order requests were recorded, across all paths. */
  seq: number;
  method: string;
  /** The raw request target, query string included. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body decoded as UTF-8. */
  body: string;
  /** Date.now() when the request head arrived. */
  receivedAt: number;
  remoteAddress: string;
  /** The sender's TCP port (which process sent it can be told from it while the connection lives). */
  remotePort?: number;
  /** What the receiver chose to do: answer, reset the connection, or never answer. */
  outcome: 'status' | 'reset' | 'timeout-pending';
  status?: number;
}

/** The receiver's record of requests, with waits that re-check whenever it changes. */
export interface RequestLog {
  /** Every request so far, in order (a live array). */
  readonly requests: RecordedRequest[];
  /** Appends a request, giving it the next seq. */
  record(entry: Omit<RecordedRequest, 'seq'>): RecordedRequest;
  /** Re-checks pending waits; call after recording or changing a request. */
  notify(): void;
  /** Resolves once `predicate` holds; rejects after `timeoutMs` with `what` and a summary of the log. */
  waitUntil(predicate: (all: RecordedRequest[]) => boolean, timeoutMs: number, what: string): Promise<void>;
}

function summary(requests: RecordedRequest[]): string {
  const lines = requests.map((r) => `#${r.seq} ${r.method} ${r.path} -> ${r.status ?? r.outcome}`);
  return `${requests.length} request(s)${lines.length > 0 ? `:\n  ${lines.join('\n  ')}` : ''}`;
}

/** Creates an empty log. */
export function createRequestLog(): RequestLog {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  return {
    requests,
    record(entry) {
      const recorded = { seq: requests.length + 1, ...entry };
      requests.push(recorded);
      return recorded;
    },
    notify() {
      waiters.forEach((check) => check());
    },
    waitUntil(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const settle = (err?: Error): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err === undefined) {
            resolve();
          } else {
            reject(err);
          }
        };
        const check = (): void => {
          try {
            if (predicate(requests)) {
              settle();
            }
          } catch (err) {
            settle(err instanceof Error ? err : new Error(String(err)));
          }
        };
        const timer = setTimeout(
          () => settle(new Error(`receiver: waited ${timeoutMs} ms for ${what}; got ${summary(requests)}`)),
          timeoutMs,
        );
        waiters.add(check);
        check();
      });
    },
  };
}
