import fc from 'fast-check';
import { PurgePlan } from './purge-plan.js';

describe('PurgePlan', () => {
  test('a purge is due once every N released messages, not per release', () => {
    const plan = new PurgePlan(1000);
    expect(plan.release('a', 10, 100)).toBe(false);
    expect(plan.release('a', 500, 899)).toBe(false);
    expect(plan.release('a', 501, 1)).toBe(true);
    expect(plan.begin('a')).toBe(502);
  });

  test('keeps from the highest released id + 1; stale releases change nothing', () => {
    const plan = new PurgePlan(1);
    plan.release('a', 7, 1);
    expect(plan.release('a', 3, 5)).toBe(false);
    expect(plan.begin('a')).toBe(8);
  });

  test('never begins a purge of nothing, and so never asks for seq 1', () => {
    const plan = new PurgePlan(1);
    expect(plan.begin('a')).toBeNull();
    expect(() => plan.release('a', 0, 1)).toThrow();
  });

  test('one purge in flight per customer; what is released meanwhile is purged next', () => {
    const plan = new PurgePlan(2);
    plan.release('a', 10, 2);
    expect(plan.begin('a')).toBe(11);
    expect(plan.release('a', 20, 5)).toBe(false); // one in flight
    expect(plan.begin('a')).toBeNull();
    expect(plan.succeeded('a', 11)).toBe(true);
    expect(plan.begin('a')).toBe(21);
    expect(plan.succeeded('a', 21)).toBe(false);
    expect(plan.customersToPurge()).toEqual([]);
  });

  test('a failed purge is due again', () => {
    const plan = new PurgePlan(3);
    plan.release('a', 5, 3);
    expect(plan.begin('a')).toBe(6);
    plan.failed('a');
    expect(plan.customersToPurge()).toEqual(['a']);
    expect(plan.begin('a')).toBe(6);
  });

  test('property: a purge never removes an id above the highest released one', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('release' as const),
              id: fc.integer({ min: 1, max: 500 }),
              n: fc.nat(50),
            }),
            fc.record({ op: fc.constantFrom('begin' as const, 'ok' as const, 'fail' as const) }),
          ),
        ),
        (ops) => {
          const plan = new PurgePlan(10);
          let highest = 0;
          let inFlight: number | null = null;
          for (const step of ops) {
            if (step.op === 'release') {
              plan.release('c', step.id, step.n);
              highest = Math.max(highest, step.id);
            } else if (step.op === 'begin') {
              const keepFrom = plan.begin('c');
              if (keepFrom !== null) {
                expect(inFlight).toBeNull();
                expect(keepFrom).toBeGreaterThanOrEqual(2);
                expect(keepFrom - 1).toBeLessThanOrEqual(highest);
                inFlight = keepFrom;
              }
            } else if (inFlight !== null) {
              if (step.op === 'ok') {
                plan.succeeded('c', inFlight);
              } else {
                plan.failed('c');
              }
              inFlight = null;
            }
          }
        },
      ),
    );
  });
});
