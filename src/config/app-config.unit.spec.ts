import { ConfigError, loadConfig, parseDuration } from './app-config.js';

describe('status page settings', () => {
  test('defaults: links use the address the admin request reached; only this origin may embed the pages', () => {
    const config = loadConfig({});
    expect(config.publicUrl).toBeNull();
    expect(config.uiFrameAncestors).toBe("'self'");
  });

  test('HOOKPOST_PUBLIC_URL is an http(s) base without a trailing slash', () => {
    expect(loadConfig({ HOOKPOST_PUBLIC_URL: 'https://status.example/hookpost/' }).publicUrl).toBe(
      'https://status.example/hookpost',
    );
    for (const bad of ['status.example', 'ftp://x', 'https://x/?a=1', 'https://x/#f']) {
      expect(() => loadConfig({ HOOKPOST_PUBLIC_URL: bad })).toThrow(ConfigError);
    }
  });

  test('HOOKPOST_UI_FRAME_ANCESTORS takes CSP sources and nothing that could add a directive', () => {
    expect(
      loadConfig({
        HOOKPOST_UI_FRAME_ANCESTORS: "'self'   https://portal.example https://*.platform.example",
      }).uiFrameAncestors,
    ).toBe("'self' https://portal.example https://*.platform.example");
    for (const bad of ["'self'; script-src *", "'self'\nx: y", '<x>']) {
      expect(() => loadConfig({ HOOKPOST_UI_FRAME_ANCESTORS: bad })).toThrow(ConfigError);
    }
  });
});

describe('archive settings', () => {
  test('the archive dir defaults to <data dir>/archive; HOOKPOST_ARCHIVE_AFTER is off unless set', () => {
    expect(loadConfig({ HOOKPOST_DATA_DIR: '/data' })).toMatchObject({
      archiveDir: '/data/archive',
      archiveAfterMs: null,
    });
    expect(loadConfig({ HOOKPOST_ARCHIVE_DIR: '/cold', HOOKPOST_ARCHIVE_AFTER: '90d' })).toMatchObject({
      archiveDir: '/cold',
      archiveAfterMs: 90 * 86_400_000,
    });
    expect(loadConfig({ HOOKPOST_ARCHIVE_AFTER: 'off' }).archiveAfterMs).toBeNull();
  });

  test('HOOKPOST_ARCHIVE_AFTER must be a duration of at least an hour', () => {
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    for (const bad of ['90', '0d', '5m', '-1d', '1.5d', '90 days']) {
      expect(() => loadConfig({ HOOKPOST_ARCHIVE_AFTER: bad })).toThrow(/HOOKPOST_ARCHIVE_AFTER/);
    }
  });
});

describe('namespace and log level', () => {
  test('HOOKPOST_NAMESPACE: a lower-case letter, then up to 31 of a-z, 0-9, _ and -', () => {
    expect(loadConfig({ HOOKPOST_NAMESPACE: 'my-ns_2' }).namespace).toBe('my-ns_2');
    for (const bad of ['My', '1ns', 'a.b', 'a'.repeat(33), '']) {
      expect(() => loadConfig({ HOOKPOST_NAMESPACE: bad })).toThrow(ConfigError);
    }
  });

  test("LOG_LEVEL is one of pino's levels, default info", () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    for (const bad of ['verbose', 'INFO', '10']) {
      expect(() => loadConfig({ LOG_LEVEL: bad })).toThrow(/LOG_LEVEL must be one of fatal, error/);
    }
  });
});

describe('NATS settings', () => {
  test('NATS_URL lists the servers of a cluster, separated by commas', () => {
    const config = loadConfig({ NATS_URL: 'nats://a:4222, nats://b:4222,,nats://c:4222' });
    expect(config.natsUrls).toEqual(['nats://a:4222', 'nats://b:4222', 'nats://c:4222']);
  });

  test('HOOKPOST_STREAM_REPLICAS is 1 by default and 1 to 5', () => {
    expect(loadConfig({}).streamReplicas).toBe(1);
    expect(loadConfig({ HOOKPOST_STREAM_REPLICAS: '3' }).streamReplicas).toBe(3);
    for (const bad of ['0', '6', '2.5', 'three']) {
      expect(() => loadConfig({ HOOKPOST_STREAM_REPLICAS: bad })).toThrow(ConfigError);
    }
  });
});

describe('tracing settings', () => {
  test('spans only with an OTLP endpoint, and not when the SDK is disabled', () => {
    expect(loadConfig({}).otlpTracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }).otlpTracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).otlpTracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).otlpTracing).toBe(
      true,
    );
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' })
        .otlpTracing,
    ).toBe(false);
  });
});
