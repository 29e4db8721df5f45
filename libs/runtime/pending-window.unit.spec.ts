import { PendingWindow, StaleReadError } from './pending-window.js';
import type { QueuedMessage } from '../domain/index.js';

const msg = (id: number): QueuedMessage => ({
  kind: 'message',
  id,
  customerId: 'c',
  acceptedAt: 0,
  event: 'E',
  data: {},
});
const ids = (window: PendingWindow) => window.messages.map((m) => m.id);

test('a short read completes the window and the feed then appends in order', () => {
  const window = new PendingWindow(10);
  const { afterId, max } = window.beginRead(4);
  expect({ afterId, max }).toEqual({ afterId: 4, max: 10 });
  window.endRead([msg(5), msg(8)], 0);
  expect(window.isComplete).toBe(true);
  expect(window.offer(msg(9))).toBe(true);
  expect(ids(window)).toEqual([5, 8, 9]);
});

test('messages that arrive during a read are merged without duplicates', () => {
  const window = new PendingWindow(10);
  window.beginRead(0);
  window.offer(msg(2));
  window.offer(msg(3));
  window.endRead([msg(1), msg(2)], 0);
  expect(ids(window)).toEqual([1, 2, 3]);
});

test('a full window stops taking messages and asks for a read later', () => {
  const window = new PendingWindow(2);
  window.beginRead(0);
  window.endRead([msg(1)], 0);
  expect(window.offer(msg(2))).toBe(true);
  expect(window.offer(msg(3))).toBe(false);
  expect(window.isComplete).toBe(false);
  window.removeThrough(2);
  expect(window.needsRead(1)).toBe(true);
  expect(window.beginRead(2)).toEqual({ afterId: 2, max: 2 });
});

test('a message the window already passed is not taken again', () => {
  const window = new PendingWindow(5);
  window.endRead([msg(1), msg(2)], 0);
  window.removeThrough(2);
  expect(window.offer(msg(2))).toBe(false);
  expect(ids(window)).toEqual([]);
});

test('the pending count is what the window holds plus what the stream holds behind it', () => {
  const window = new PendingWindow(2);
  expect(window.pendingCount).toBeNull();
  window.assumeCount(7); // the stored projection, until the stream says otherwise
  expect(window.pendingCount).toBe(7);
  expect(window.countIsMeasured).toBe(false);
  window.beginRead(0);
  window.endRead([msg(1), msg(2)], 3); // a full read: three more behind
  expect(window.pendingCount).toBe(5);
  expect(window.countIsMeasured).toBe(true);
  expect(window.offer(msg(6))).toBe(false); // not held, but pending
  expect(window.pendingCount).toBe(6);
  expect(window.countAfter(1, 1)).toBe(5);
  window.removeThrough(1, 1);
  expect(window.pendingCount).toBe(5);
  window.reset(); // after a feed outage: the bodies go, the count stays
  expect(window.pendingCount).toBe(5);
  expect(window.countAfter(4, 3)).toBe(2); // a skip past the window's end
  window.removeThrough(4, 3);
  expect(window.pendingCount).toBe(2);
  window.counted(9);
  expect(window.pendingCount).toBe(9);
});

test('a window drops what the feed offers before its first read', () => {
  const window = new PendingWindow(10);
  expect(window.offer(msg(1))).toBe(false);
  expect(window.messages).toEqual([]);
});

test('a message marked unreadable (it cannot be encoded) stays in place for the rules to skip', () => {
  const window = new PendingWindow(10);
  window.beginRead(0);
  window.endRead([msg(1), msg(2), msg(3)], 10);
  window.markUnreadable(2, 'data cannot be encoded as JSON');
  expect(window.pending).toEqual([
    { id: 1, event: 'E' },
    { id: 2, event: null },
    { id: 3, event: 'E' },
  ]);
  expect(window.messages[1]).toMatchObject({
    kind: 'unreadable',
    id: 2,
    reason: 'data cannot be encoded as JSON',
  });
});

test('a read that ends short of a message the feed showed is stale: it is not taken as the whole queue', () => {
  const window = new PendingWindow(10);
  window.beginRead(0);
  window.endRead([msg(1)], 3); // more behind: the window is not complete
  window.offer(msg(7)); // the feed shows 7, not held
  window.removeThrough(1);
  window.beginRead(1);
  // A replica that has not applied 7 yet says "nothing more".
  expect(() => window.endRead([msg(4)], 0)).toThrow(StaleReadError);
  expect(window.isComplete).toBe(false);
  expect(window.offer(msg(9))).toBe(false); // 9 must not jump 7
  expect(window.beginRead(1)).toEqual({ afterId: 4, max: 9 });
  window.endRead([msg(7), msg(9)], 0);
  expect(ids(window)).toEqual([4, 7, 9]);
  expect(window.isComplete).toBe(true);
});

test('a message shown at or below where a read starts does not make the read stale', () => {
  const window = new PendingWindow(10);
  window.offer(msg(3)); // before the first read
  window.beginRead(5); // the cursor is already past 3 (it was delivered)
  expect(() => window.endRead([], 0)).not.toThrow();
  expect(window.isComplete).toBe(true);
});
