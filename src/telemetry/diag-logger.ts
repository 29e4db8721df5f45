import { inspect } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';
import type { Logger } from 'pino';

/** The same diagnostic is logged at most this often: an unreachable collector fails every batch. */
const REPEAT_MS = 60_000;
/** Distinct messages remembered for that; past it the memory starts again (messages that never repeat). */
const REMEMBERED = 100;

/**
 * The SDK's own diagnostics (an export that failed, a bad OTEL_* value) as Hookpost log lines,
 * `component: "opentelemetry"`, so an operator sees why no span arrives. A repeated message is
 * logged once a minute with how often it came meanwhile. The exporter quotes an invalid
 * OTEL_EXPORTER_OTLP_HEADERS value, which may be an API key: it is redacted.
 */
export function diagToLog(logger: Logger, now: () => number = Date.now): DiagLogger {
  const log = logger.child({ component: 'opentelemetry' });
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  const write =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, ...args: unknown[]) => {
      const text = [message, ...args.map(describe)]
        .join(' ')
        .replace(/(invalid value \().*(\))/s, '$1[redacted]$2');
      const seen = lastLogged.get(text);
      if (seen !== undefined && now() - seen.at < REPEAT_MS) {
        seen.suppressed += 1;
        return;
      }
      if (lastLogged.size >= REMEMBERED) {
        lastLogged.clear();
      }
      lastLogged.set(text, { at: now(), suppressed: 0 });
      log[level](seen === undefined ? {} : { repeated: seen.suppressed + 1 }, text);
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    verbose: write('debug'),
  };
}

function describe(arg: unknown): string {
  if (arg instanceof Error) {
    return arg.message;
  }
  // A failed export may pass the collector's whole answer: short, one line.
  return typeof arg === 'string'
    ? arg
    : inspect(arg, { depth: 2, maxArrayLength: 10, maxStringLength: 200, breakLength: Infinity });
}
