/** What the harness can ask the receiver process (bench/receiver-process.ts) over IPC. */
export type ReceiverCommand =
  /** Forgets everything; trackIds keeps each webhook-id's arrival time, trackPaths the ids per path. */
  | { cmd: 'reset'; trackIds?: boolean; trackPaths?: boolean }
  /** 'fail' answers 503 to everything until set back to 'ok'. */
  | { cmd: 'mode'; mode: 'ok' | 'fail' }
  | { cmd: 'stats' }
  /** [webhook-id, arrival epoch ms] pairs (trackIds). */
  | { cmd: 'receivedAt' }
  /** Paths that have seen at least `expected` distinct webhook ids answered 200 (trackPaths). */
  | { cmd: 'completePaths'; expected: number }
  | { cmd: 'pathCount' }
  /** From now on, counts how many of `watch` (paths) get a request: stats.resumed. */
  | { cmd: 'mark'; watch: string[] };

/** Counters since the last reset; times are epoch ms with sub-ms precision. */
export interface ReceiverStats {
  requests: number;
  /** Messages carried by requests answered 200 (a batch counts each message). */
  messages: number;
  /** Requests answered 503 in 'fail' mode. */
  failed: number;
  /** First and last request answered 200. */
  firstAt: number;
  lastAt: number;
  /** First request answered 200 after the last mark() (0: none yet). */
  firstAfterMark: number;
  /** Watched paths that got a request since mark(), and when the last of them got its first. */
  resumed: number;
  lastResumedAt: number;
}
