/** The signals that end a foreground run: Ctrl-C, `kill`, and the terminal closing (SIGHUP). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** One of the stop signals. */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** A pending stop: `signal` resolves at the first stop signal; `dispose` removes the handlers (after cleanup). */
export interface StopRequest {
  readonly signal: Promise<StopSignal>;
  dispose(): void;
}

/**
 * Listens for every stop signal from now on, so a signal during start-up too ends the run through
 * its cleanup instead of killing the process (which would leave an embedded nats-server and a temp
 * dir behind). Later signals are ignored while the cleanup runs. After SIGHUP the terminal is gone,
 * so output errors (EIO, EPIPE) are swallowed rather than crashing the cleanup.
 */
export function listenForStop(): StopRequest {
  let resolveSignal!: (signal: StopSignal) => void;
  const signal = new Promise<StopSignal>((resolve) => (resolveSignal = resolve));
  const onSignal = (received: NodeJS.Signals) => {
    if (received === 'SIGHUP') {
      for (const stream of [process.stdout, process.stderr]) {
        stream.on('error', () => undefined);
      }
    }
    resolveSignal(received as StopSignal);
  };
  STOP_SIGNALS.forEach((name) => process.on(name, onSignal));
  return {
    signal,
    dispose: () => {
      STOP_SIGNALS.forEach((name) => process.off(name, onSignal));
    },
  };
}
