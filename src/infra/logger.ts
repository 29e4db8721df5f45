import pino, { type Logger } from 'pino';

/** JSON logs to stdout; secrets are redacted wherever they might be logged by mistake. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'hookpost' },
    redact: {
      paths: ['secret', '*.secret', 'secrets', 'headers.authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}
