import { startReceiver, type Receiver, type RecordedRequest } from '../support/receiver.js';
import { seededRandom } from './random.js';

/** How the receiver treats one request. Only `ok` counts as a success for Hookpost. */
export type Answer = 'ok' | 'error500' | 'reset' | 'slow' | 'redirect';

/** The share of each failing answer; the rest are `ok`. */
export interface FlapMix {
  error500: number;
  reset: number;
  slow: number;
  redirect: number;
}

/** What the receiver decided for one request, and when its answer left (for the order check). */
interface Decision {
  answer: Answer;
  answeredAt: number;
}

/** A receiver that answers by a seeded policy and remembers what it answered. */
export interface ChaosReceiver {
  readonly receiver: Receiver;
  /** True when Hookpost saw a success: a 200 within its deadline. */
  succeeded(request: RecordedRequest): boolean;
  /** When the answer was sent (the success the next request may follow). */
  answeredAt(request: RecordedRequest): number;
  /** Requests per answer so far. */
  counts(): Record<Answer, number>;
  /** Requests that arrived on the redirect target: a followed redirect (must stay 0). */
  followedRedirects(): number;
  /** Fails this share of requests, mixed as given; `slowMs` must exceed Hookpost's deadline. */
  flap(mix: FlapMix, slowMs: number): void;
  /** Answers 200 to everything (after a short random delay, so kills land mid-request). */
  steady(): void;
  close(): Promise<void>;
}

/** Where redirects point; Hookpost must never call it. */
export const REDIRECT_PATH = '/redirected-here';
const OK_DELAY_MAX_MS = 8;

/** How a receiver answers when steady. */
export interface ChaosReceiverOptions {
  seed?: number;
  /**
   * The longest a 200 is held (random, at least half of it when over the default): a longer hold
   * makes two requests of one customer in flight at once visible as overlap.
   */
  holdMs?: number;
  /** Called with every request as it is recorded (before it is answered). */
  onRequest?: (request: RecordedRequest) => void;
}

/** Starts a receiver on 127.0.0.1 answering 200 until told to flap. */
export async function startChaosReceiver(options: ChaosReceiverOptions = {}): Promise<ChaosReceiver> {
  const seed = options.seed ?? 7;
  const holdMax = options.holdMs ?? OK_DELAY_MAX_MS;
  const holdMin = holdMax > OK_DELAY_MAX_MS ? Math.floor(holdMax / 2) : 0;
  const receiver = await startReceiver();
  const random = seededRandom(seed);
  const decisions = new Map<number, Decision>();
  let mix: FlapMix = { error500: 0, reset: 0, slow: 0, redirect: 0 };
  let slowMs = 0;

  const choose = (): Answer => {
    let roll = random();
    for (const answer of ['error500', 'reset', 'slow', 'redirect'] as const) {
      if (roll < mix[answer]) {
        return answer;
      }
      roll -= mix[answer];
    }
    return 'ok';
  };

  receiver.respondWith((request) => {
    options.onRequest?.(request);
    const answer = request.path.startsWith(REDIRECT_PATH) ? 'ok' : choose();
    const delayMs = answer === 'slow' ? slowMs : holdMin + Math.floor(random() * (holdMax - holdMin));
    decisions.set(request.seq, { answer, answeredAt: request.receivedAt + delayMs });
    switch (answer) {
      case 'ok':
      case 'slow':
        return { status: 200, body: '{}', delayMs };
      case 'error500':
        return { status: 500, body: 'flapping', delayMs };
      case 'reset':
        return { reset: true, delayMs };
      case 'redirect':
        return { status: 302, headers: { location: `${receiver.url}${REDIRECT_PATH}` }, delayMs };
      default: {
        const unknown: never = answer;
        throw new Error(`unknown answer ${String(unknown)}`);
      }
    }
  });

  return {
    receiver,
    succeeded: (request) => decisions.get(request.seq)?.answer === 'ok',
    answeredAt: (request) => decisions.get(request.seq)?.answeredAt ?? request.receivedAt,
    counts() {
      const counts: Record<Answer, number> = { ok: 0, error500: 0, reset: 0, slow: 0, redirect: 0 };
      decisions.forEach((decision) => (counts[decision.answer] += 1));
      return counts;
    },
    followedRedirects: () => receiver.requests.filter((r) => r.path.startsWith(REDIRECT_PATH)).length,
    flap(next, nextSlowMs) {
      mix = next;
      slowMs = nextSlowMs;
    },
    steady() {
      mix = { error500: 0, reset: 0, slow: 0, redirect: 0 };
    },
    close: () => receiver.close(),
  };
}
