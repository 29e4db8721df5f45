import { formatTraceparent, parseTraceparent, traceFromHeaders } from './trace-context.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('W3C traceparent', () => {
  test('a valid one is parsed and written back the same', () => {
    const fields = parseTraceparent(VALID);
    expect(fields).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(formatTraceparent(fields!)).toBe(VALID);
  });

  test.each([
    ['empty', ''],
    ['garbage', 'not-a-traceparent'],
    ['upper-case hex', VALID.toUpperCase()],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['version 00 with a fifth field', `${VALID}-extra`],
  ])('%s is not a traceparent', (_, header) => {
    expect(parseTraceparent(header)).toBeNull();
    expect(traceFromHeaders(header, 'a=b')).toBeUndefined();
  });

  test('a later version is kept as its version 00 fields', () => {
    expect(traceFromHeaders(`01-${TRACE_ID}-${SPAN_ID}-00-future`, undefined)).toEqual({
      traceparent: `00-${TRACE_ID}-${SPAN_ID}-00`,
    });
  });
});

describe('the trace context kept with a message', () => {
  test('traceparent and tracestate as given', () => {
    expect(traceFromHeaders(VALID, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toEqual({
      traceparent: VALID,
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    });
  });

  test('nothing without a traceparent, even with a tracestate', () => {
    expect(traceFromHeaders(undefined, 'a=b')).toBeUndefined();
    expect(traceFromHeaders('', 'a=b')).toBeUndefined();
  });

  test('a tracestate that is not printable ASCII of at most 512 characters is dropped, the traceparent kept', () => {
    for (const state of ['a=b\r\nx-injected: 1', 'a='.padEnd(513, 'x'), 'é=1']) {
      expect(traceFromHeaders(VALID, state)).toEqual({ traceparent: VALID });
    }
  });
});
