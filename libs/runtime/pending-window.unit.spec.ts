import { PendingWindow, WindowBudget } from './pending-window.js';
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

test('a fed window keeps what the feed offers without a read, within its budget', () => {
  const budget = new WindowBudget(3, 1_000_000);
  const fed = new PendingWindow(10, { budget, fed: true });
  expect(fed.isComplete).toBe(true);
  expect(fed.needsRead(5)).toBe(false);
  expect([msg(1), msg(4), msg(6)].map((m) => fed.offer(m))).toEqual([true, true, true]);
  expect(budget.messages).toBe(3);
  // The budget is full: the window drops the message and will read from the stream instead.
  expect(fed.offer(msg(7))).toBe(false);
  expect(fed.isComplete).toBe(false);
  expect(fed.needsRead(5)).toBe(true);
  fed.removeThrough(4);
  expect(budget.messages).toBe(1);
  expect(fed.beginRead(4)).toEqual({ afterId: 6, max: 9 });
  fed.endRead([msg(7)], 9);
  expect(ids(fed)).toEqual([6, 7]);
  fed.reset();
  expect(budget.messages).toBe(0);
});

test('a window that is not fed still drops what the feed offers before its first read', () => {
  const budget = new WindowBudget(3, 1_000_000);
  const window = new PendingWindow(10, { budget });
  expect(window.offer(msg(1))).toBe(false);
  expect(budget.messages).toBe(0);
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
