import { PendingWindow } from './pending-window.js';
import type { WindowMessage } from './ports.js';

const msg = (id: number): WindowMessage => ({
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
  window.endRead([msg(5), msg(8)], max);
  expect(window.isComplete).toBe(true);
  expect(window.offer(msg(9))).toBe(true);
  expect(ids(window)).toEqual([5, 8, 9]);
});

test('messages that arrive during a read are merged without duplicates', () => {
  const window = new PendingWindow(10);
  const { max } = window.beginRead(0);
  window.offer(msg(2));
  window.offer(msg(3));
  window.endRead([msg(1), msg(2)], max);
  expect(ids(window)).toEqual([1, 2, 3]);
});

test('a full window stops taking messages and asks for a read later', () => {
  const window = new PendingWindow(2);
  const { max } = window.beginRead(0);
  window.endRead([msg(1)], max);
  expect(window.offer(msg(2))).toBe(true);
  expect(window.offer(msg(3))).toBe(false);
  expect(window.isComplete).toBe(false);
  window.removeThrough(2);
  expect(window.needsRead(1)).toBe(true);
  expect(window.beginRead(2)).toEqual({ afterId: 2, max: 2 });
});

test('a message the window already passed is not taken again', () => {
  const window = new PendingWindow(5);
  window.endRead([msg(1), msg(2)], 5);
  window.removeThrough(2);
  expect(window.offer(msg(2))).toBe(false);
  expect(ids(window)).toEqual([]);
});
