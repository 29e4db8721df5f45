import { eventsStreamName } from '../event-relay/index.js';
import { queueSubject, resolveSettings, streamConfig, streamName } from './settings.js';
import {
  assertSupportedServer,
  isSupportedServer,
  parseServerVersion,
  ServerTooOldError,
} from './server-version.js';

describe('queue settings', () => {
  test('names the stream and subjects from the namespace', () => {
    expect(streamName('hookpost')).toBe('HOOKPOST_QUEUE');
    expect(queueSubject('hookpost', 'acme')).toBe('hookpost.queue.acme');
  });

  test("a namespace's queue and events streams are named alike, '-' kept so my-ns and my_ns stay apart", () => {
    expect([streamName('my-ns'), eventsStreamName('my-ns')]).toEqual(['MY-NS_QUEUE', 'MY-NS_EVENTS']);
    expect([streamName('my_ns'), eventsStreamName('my_ns')]).toEqual(['MY_NS_QUEUE', 'MY_NS_EVENTS']);
  });

  test('defaults: unlimited, 256 KiB + headroom per message, 2 minute dedupe window, 1 replica', () => {
    const config = streamConfig(resolveSettings({ namespace: 'hp' }));
    expect(config).toMatchObject({
      name: 'HP_QUEUE',
      subjects: ['hp.queue.*'],
      storage: 'file',
      retention: 'limits',
      discard: 'new',
      max_bytes: -1,
      max_msgs: -1,
      max_age: 0,
      max_msgs_per_subject: -1,
      duplicate_window: 120_000_000_000,
      num_replicas: 1,
    });
    expect(config.max_msg_size).toBeGreaterThan(256 * 1024);
  });

  test.each([
    [{ namespace: 'a.b' }],
    [{ namespace: '' }],
    // the same rule as HOOKPOST_NAMESPACE: lower case (upper-cased stream names stay distinct), at most 32
    [{ namespace: 'Hp' }],
    [{ namespace: '1hp' }],
    [{ namespace: 'h'.repeat(33) }],
    [{ namespace: 'hp', maxBytes: 0 }],
    [{ namespace: 'hp', maxMessages: -2 }],
    [{ namespace: 'hp', duplicateWindowMs: 0 }],
    [{ namespace: 'hp', replicas: 1.5 }],
  ])('rejects %j', (settings) => {
    expect(() => resolveSettings(settings)).toThrow();
  });
});

describe('server version', () => {
  test('parses release and pre-release versions', () => {
    expect(parseServerVersion('2.9.10')).toEqual([2, 9, 10]);
    expect(parseServerVersion('2.11.0-beta.2')).toEqual([2, 11, 0]);
    expect(parseServerVersion('nightly')).toBeUndefined();
  });

  test('2.12.0 is the oldest server supported', () => {
    expect(isSupportedServer('2.9.10')).toBe(false);
    expect(isSupportedServer('2.10.29')).toBe(false);
    expect(isSupportedServer('2.11.9')).toBe(false);
    expect(isSupportedServer('2.12.0-beta.2')).toBe(true);
    expect(isSupportedServer('2.12.0')).toBe(true);
    expect(isSupportedServer('2.15.1')).toBe(true);
    expect(isSupportedServer('3.0.0')).toBe(true);
    expect(isSupportedServer('nightly')).toBe(false);
    expect(isSupportedServer(undefined)).toBe(false);
  });

  test('an older server is refused with one line naming the version found and the minimum', () => {
    expect(() => assertSupportedServer('2.9.10')).toThrow(ServerTooOldError);
    expect(() => assertSupportedServer('2.9.10')).toThrow(
      /^nats-server 2\.9\.10 is too old: Hookpost needs 2\.12\.0 or newer [^\n]*$/,
    );
    expect(() => assertSupportedServer('2.12.0')).not.toThrow();
  });
});
