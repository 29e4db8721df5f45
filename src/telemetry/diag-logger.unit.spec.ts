import pino from 'pino';
import { ManualClock } from '../../test/support/manual-clock.js';
import { diagToLog } from './diag-logger.js';

/** A pino logger whose lines the test reads back. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe("diagToLog: the OpenTelemetry SDK's diagnostics as log lines", () => {
  test('a failed export is a warning of component opentelemetry, with the error message', () => {
    const { logger, lines } = capturedLogger();
    diagToLog(logger).error('export failed', new Error('connect ECONNREFUSED 127.0.0.1:4318'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        component: 'opentelemetry',
        msg: 'export failed connect ECONNREFUSED 127.0.0.1:4318',
      }),
    ]);
  });

  test('the same message again within a minute is counted, not logged; after it, logged with the count', () => {
    const { logger, lines } = capturedLogger();
    const clock = new ManualClock();
    const diag = diagToLog(logger, () => clock.now());
    for (let i = 0; i < 12; i++) {
      diag.error('export failed');
      clock.advance(5_000);
    }
    expect(lines.map((line) => line.repeated)).toEqual([undefined]);
    diag.warn('another message');
    expect(lines).toHaveLength(2);
    clock.advance(1_000);
    diag.error('export failed');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ msg: 'export failed', repeated: 12 });
  });

  test('an invalid OTEL_EXPORTER_OTLP_HEADERS value (an API key, perhaps) is not logged', () => {
    const { logger, lines } = capturedLogger();
    diagToLog(logger).warn('Header "x-api-key" has invalid value (sk-live-123456\n) and will be ignored');
    expect(JSON.stringify(lines)).not.toContain('sk-live-123456');
    expect(lines[0]).toMatchObject({
      msg: 'Header "x-api-key" has invalid value ([redacted]) and will be ignored',
    });
  });
});
