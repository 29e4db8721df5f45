import type { RecordedRequest } from '../support/receiver.js';

/** A fault's time window: from when it was injected until it was healed (ms since the epoch). */
export interface FaultWindow {
  start: number;
  healedAt: number;
}

/** How to read the receiver's record. */
export interface CheckInput {
  /** The requests the receiver recorded (any order; checked in arrival order). */
  requests: readonly RecordedRequest[];
  /** Acked webhookIds per customer: every one must be delivered. */
  accepted: ReadonlyMap<string, readonly number[]>;
  /** Whether Hookpost saw this request succeed (a 200 within its deadline). */
  succeeded(request: RecordedRequest): boolean;
  /** When the receiver's answer to this request left. */
  answeredAt(request: RecordedRequest): number;
  /** The faults injected: a re-send is expected only when one overlaps it. */
  faults: readonly FaultWindow[];
}

/** What the receiver saw, judged against the contract. Every count is of messages unless it says requests. */
export interface DeliveryCheck {
  customers: number;
  /** Accepted messages (publish acked). */
  published: number;
  /** Accepted messages carried by at least one successful request. */
  delivered: number;
  /** Accepted messages never delivered. Must be 0. */
  lost: number;
  /** Ids delivered that no publish ack reported (stored, but the ack was lost). */
  unconfirmed: number;
  requests: number;
  failedRequests: number;
  /** Requests that carried an id already answered with success. */
  duplicateRequests: number;
  /** Messages re-sent after their success. */
  duplicates: number;
  /** Re-sends with no fault between the success and the re-send. Must be 0. */
  unexplainedDuplicates: number;
  /** Requests that carried id N before N-1 had succeeded, or ids out of order. Must be 0. */
  orderViolations: number;
  /** Ids whose first success came after a higher id's first success. Must be 0. */
  firstSuccessInversions: number;
  /** The first few problems, readable. */
  problems: string[];
}

const MAX_PROBLEMS = 20;
/** A fault still explains a re-send this long after it was healed (the retry delay of a failed step). */
const FAULT_TAIL_MS = 35_000;

/** The ids a request carried: one object, or an array when batching. */
export function idsOf(request: RecordedRequest): number[] {
  const body = JSON.parse(request.body) as { id: number } | Array<{ id: number }>;
  return Array.isArray(body) ? body.map((message) => message.id) : [body.id];
}

/** The customer a request was for (endpoints are `<receiver>/<customerId>`). */
export const customerOf = (request: RecordedRequest): string => request.path.slice(1);

interface CustomerLedger {
  /** Every id known to exist, ascending: accepted ones plus any the receiver saw. */
  known: number[];
  position: Map<number, number>;
  /** Per position: when its first success's request arrived (0 = not yet). */
  firstSuccessAt: number[];
  /** Positions [0, done) have all succeeded. */
  done: number;
  /** When the answer that last advanced `done` left. */
  lastAdvanceAnsweredAt: number;
  firstSuccessOrder: number[];
}

function ledger(accepted: readonly number[], seen: readonly number[]): CustomerLedger {
  const known = [...new Set([...accepted, ...seen])].sort((a, b) => a - b);
  return {
    known,
    position: new Map(known.map((id, index) => [id, index])),
    firstSuccessAt: known.map(() => 0),
    done: 0,
    lastAdvanceAnsweredAt: 0,
    firstSuccessOrder: [],
  };
}

/**
 * Checks the contract's order and delivery rules on what the receiver saw: per customer no request
 * carries id N before N-1 succeeded (nor before that success was answered), ids within a request are
 * consecutive and ascending, first successes come in increasing id order, every accepted id is
 * delivered, and re-sends of delivered ids happen only around a fault.
 */
export function checkDeliveries(input: CheckInput): DeliveryCheck {
  const requests = input.requests
    .filter((request) => input.accepted.has(customerOf(request)))
    .sort((a, b) => a.seq - b.seq);
  const seen = new Map<string, number[]>();
  for (const request of requests) {
    const list = seen.get(customerOf(request)) ?? [];
    list.push(...idsOf(request));
    seen.set(customerOf(request), list);
  }
  const ledgers = new Map(
    [...input.accepted].map(([customerId, ids]) => [customerId, ledger(ids, seen.get(customerId) ?? [])]),
  );
  const result: DeliveryCheck = {
    customers: input.accepted.size,
    published: 0,
    delivered: 0,
    lost: 0,
    unconfirmed: 0,
    requests: requests.length,
    failedRequests: 0,
    duplicateRequests: 0,
    duplicates: 0,
    unexplainedDuplicates: 0,
    orderViolations: 0,
    firstSuccessInversions: 0,
    problems: [],
  };
  // Re-sends get their own share of the list, so many of them do not hide an order problem.
  let resendProblems = 0;
  const problem = (text: string, resend = false): void => {
    if (resend ? resendProblems < MAX_PROBLEMS / 2 : result.problems.length < MAX_PROBLEMS * 2) {
      result.problems.push(text);
      resendProblems += resend ? 1 : 0;
    }
  };
  const faultBetween = (from: number, to: number): boolean =>
    input.faults.some((fault) => fault.start <= to && fault.healedAt + FAULT_TAIL_MS >= from);

  for (const request of requests) {
    const customerId = customerOf(request);
    const book = ledgers.get(customerId)!;
    const ids = idsOf(request);
    const start = book.position.get(ids[0]!)!;
    const ok = input.succeeded(request);
    if (!ok) {
      result.failedRequests += 1;
    }
    if (ids.some((id, index) => book.position.get(id) !== start + index)) {
      result.orderViolations += 1;
      problem(`${customerId}: request #${request.seq} carries [${ids.join(',')}]: not consecutive ids`);
    }
    if (start > book.done) {
      result.orderViolations += 1;
      problem(
        `${customerId}: request #${request.seq} carries ${ids[0]} before ${book.known[book.done]} succeeded`,
      );
    } else if (start === book.done && request.receivedAt < book.lastAdvanceAnsweredAt) {
      result.orderViolations += 1;
      problem(
        `${customerId}: request #${request.seq} (${ids[0]}) arrived before the previous success was answered`,
      );
    }
    const resent = Math.max(0, Math.min(book.done, start + ids.length) - start);
    if (resent > 0) {
      result.duplicateRequests += 1;
      result.duplicates += resent;
      if (!faultBetween(book.firstSuccessAt[start]!, request.receivedAt)) {
        result.unexplainedDuplicates += resent;
        problem(
          `${customerId}: request #${request.seq} re-sent ${ids[0]} with no fault since its success`,
          true,
        );
      }
    }
    if (!ok) {
      continue;
    }
    for (let p = start; p < start + ids.length; p += 1) {
      if (book.firstSuccessAt[p] === 0) {
        book.firstSuccessAt[p] = request.receivedAt;
        book.firstSuccessOrder.push(book.known[p]!);
      }
    }
    const before = book.done;
    while (book.done < book.known.length && book.firstSuccessAt[book.done] !== 0) {
      book.done += 1;
    }
    if (book.done > before) {
      book.lastAdvanceAnsweredAt = input.answeredAt(request);
    }
  }

  for (const [customerId, ids] of input.accepted) {
    const book = ledgers.get(customerId)!;
    const acceptedSet = new Set(ids);
    result.published += ids.length;
    for (const id of ids) {
      if (book.firstSuccessAt[book.position.get(id)!] !== 0) {
        result.delivered += 1;
      } else {
        result.lost += 1;
        problem(`${customerId}: accepted ${id} was never delivered`);
      }
    }
    result.unconfirmed += book.known.filter(
      (id, p) => !acceptedSet.has(id) && book.firstSuccessAt[p] !== 0,
    ).length;
    book.firstSuccessOrder.forEach((id, index) => {
      if (index > 0 && id <= book.firstSuccessOrder[index - 1]!) {
        result.firstSuccessInversions += 1;
        problem(`${customerId}: ${id} first succeeded after ${book.firstSuccessOrder[index - 1]}`);
      }
    });
  }
  return result;
}

/** When each id first arrived in a successful request, per customer (requests in arrival order). */
export function firstSuccessTimes(
  requests: readonly RecordedRequest[],
  succeeded: (request: RecordedRequest) => boolean,
): Map<string, Map<number, number>> {
  const times = new Map<string, Map<number, number>>();
  for (const request of [...requests].sort((a, b) => a.seq - b.seq)) {
    if (!succeeded(request)) {
      continue;
    }
    const customer = times.get(customerOf(request)) ?? new Map<number, number>();
    times.set(customerOf(request), customer);
    for (const id of idsOf(request)) {
      if (!customer.has(id)) {
        customer.set(id, request.receivedAt);
      }
    }
  }
  return times;
}
