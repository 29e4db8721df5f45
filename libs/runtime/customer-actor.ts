import {
  attemptOutcome,
  carriedTrace,
  decide,
  evolve,
  initialState,
  messagesSkipped,
  projectionOf,
  queuePurged,
  rotateTo,
  statusView,
  stepFailed,
  stepStallAlert,
  type CustomerQueueEvent,
  type CustomerQueueState,
  type CustomerStatus,
  type Decision,
  type DeliverySettings,
  type StepFailure,
  type EndpointSecrets,
  type Fence,
  type QueuedMessage,
  type SecretRotated,
  signingSecrets,
  NotOwnerError,
  StaleEpochError,
} from '../domain/index.js';
import type { DeliveryRequest, DeliveryResult } from '../delivery/index.js';
import type { Clock } from './clock.js';
import { PendingWindow, StaleReadError } from './pending-window.js';
import type {
  OwnershipPort,
  QueuePort,
  RuntimeLogger,
  RuntimeObserver,
  SenderPort,
  StorePort,
} from './ports.js';
import type { AttemptSpan, TracingPort } from './tracing.js';

export interface ActorContext {
  readonly settings: DeliverySettings;
  readonly clock: Clock;
  readonly queue: QueuePort;
  readonly store: StorePort;
  readonly sender: SenderPort;
  readonly logger: RuntimeLogger;
  /** Messages held in memory per customer (at least the batch size). */
  readonly windowSize: number;
  readonly observer?: RuntimeObserver;
  /** Spans of attempts and appends; absent when tracing is off (a message's trace is passed on). */
  readonly tracing?: TracingPort;
  /** Which customers this instance owns; absent: all of them (one instance delivers). */
  readonly ownership?: OwnershipPort;
}

const PURGE_READ_PAGE = 1_000;
/** Reads in one step before a lagging replica's answers fail it (the host then tries again later). */
const STALE_READ_TRIES = 3;

export class NoEndpointError extends Error {
  constructor(readonly customerId: string) {
    super(`customer ${customerId} has no webhook configured`);
    this.name = 'NoEndpointError';
  }
}

/** The customer is not (or no longer) this instance's: its actor stops, nothing is retried here. */
export function isOwnershipError(error: unknown): error is NotOwnerError | StaleEpochError {
  return error instanceof NotOwnerError || error instanceof StaleEpochError;
}

/** What {@link CustomerActor} appends in one turn of its chain, and what the caller gets back. */
interface PlannedAppend<T> {
  readonly events: readonly CustomerQueueEvent[];
  readonly secrets?: EndpointSecrets | undefined;
  /** The pending count once the events hold, when they change it. */
  readonly pending?: number | undefined;
  readonly result: T;
  /** The attempt whose outcome the events record (its span is the append span's parent). */
  readonly attempt?: AttemptSpan | undefined;
}

/** What a step ended with, for the host to schedule or passivate (a step that fails throws). */
export type StepOutcome = Decision['kind'];

/**
 * One customer's queue: folds its events, asks the rules what to do and carries it out, one step
 * at a time. Appends go through one chain so commands and delivery outcomes keep their order.
 */
export class CustomerActor {
  state: CustomerQueueState = initialState();
  version = 0;
  /** Set while steps keep throwing; cleared by the first step that gets through (step-failure.ts). */
  stepFailure: StepFailure | null = null;
  /**
   * A request's outcome whose append failed, and the version it was planned on: the next step
   * appends it instead of sending again, unless something else was appended meanwhile.
   */
  private unrecorded: { append: () => Promise<void>; version: number } | null = null;
  private readonly window: PendingWindow;
  private secrets: EndpointSecrets | null = null;
  private appendChain: Promise<unknown> = Promise.resolve();
  private loading: Promise<void> | null = null;
  /**
   * The lease epoch this actor came into memory under (active-active). Its window and state are
   * only good under that lease: once the partition was lost and taken again (a new epoch), what it
   * holds may have missed messages and outcomes, so it acts no more and a fresh actor loads.
   */
  private readonly epoch: number | undefined;

  constructor(
    readonly customerId: string,
    private readonly ctx: ActorContext,
  ) {
    this.window = new PendingWindow(ctx.windowSize);
    this.epoch = ctx.ownership?.fence(customerId)?.epoch;
  }

  /** Messages after the cursor, as the window counts them (0 before the first load). */
  get pending(): number {
    return this.window.pendingCount ?? 0;
  }

  /** True once the pending count came from the stream since this actor came into memory. */
  get countIsMeasured(): boolean {
    return this.window.countIsMeasured;
  }

  offer(message: QueuedMessage): void {
    if (message.id > this.state.cursor) {
      this.window.offer(message);
    }
  }

  /**
   * When the oldest message after `cursor` was accepted, if the window holds it (it holds the
   * oldest pending ones); null when it holds none, and the stored row keeps its value.
   */
  oldestPendingAt(cursor = this.state.cursor): number | null {
    return this.window.messages.find((message) => message.id > cursor)?.acceptedAt ?? null;
  }

  status(): CustomerStatus {
    return statusView(this.customerId, this.state, this.pending, this.ctx.settings, this.stepFailure);
  }

  /**
   * Appends events with the next expected version and the matching projection, then folds them
   * in. Serialised, so a command never races a delivery outcome for a version. `pending` is the
   * count once the events hold (events that move the cursor pass it; else it is today's).
   */
  record(
    events: readonly CustomerQueueEvent[],
    options?: { secrets?: EndpointSecrets; pending?: number; attempt?: AttemptSpan | undefined },
  ): Promise<void> {
    return this.appendPlanned(() => Promise.resolve({ ...options, events, result: undefined }));
  }

  /**
   * Appends what `plan` returns, computed in the chain's turn: a command that depends on what the
   * previous one wrote (a rotation reads the current secret) sees it.
   */
  private appendPlanned<T>(plan: () => Promise<PlannedAppend<T>>): Promise<T> {
    const run = this.appendChain.then(async () => {
      const fence = this.fence();
      const planned = await plan();
      const { events, secrets, result } = planned;
      const state = events.reduce(evolve, this.state);
      const pending = planned.pending ?? this.pending;
      const projection = projectionOf(state, pending, this.ctx.settings, this.oldestPendingAt(state.cursor));
      const started = this.ctx.clock.now();
      const span = this.ctx.tracing?.startAppend(this.customerId, events, planned.attempt);
      let version: number;
      try {
        ({ version } = await this.ctx.store.append(this.customerId, this.version, events, projection, {
          secrets,
          fence,
        }));
      } catch (error) {
        span?.end({ error });
        throw error;
      }
      span?.end({ version });
      this.ctx.observer?.appended(this.ctx.clock.now() - started);
      this.state = state;
      this.version = version;
      if (secrets !== undefined) {
        this.secrets = secrets;
      }
      return result;
    });
    this.appendChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs one step. One that throws is rethrown for the host to retry, and noted so a queue that
   * cannot move shows it (status, metric, stall alert); only a step past the alert clears it.
   */
  async step(): Promise<{ outcome: StepOutcome; wakeAt?: number }> {
    try {
      const result = await this.takeStep();
      this.stepFailure = result.outcome === 'alert' ? this.stepFailure : null;
      return result;
    } catch (error) {
      if (!isOwnershipError(error)) {
        await this.noteStepFailure(error); // not a failure of the queue: the customer moved away
      }
      throw error;
    }
  }

  /**
   * The lease this customer's appends are made under: the one the actor came into memory under,
   * still held; undefined when one instance owns everything.
   */
  private fence(): Fence | undefined {
    const fence = this.ctx.ownership?.fence(this.customerId);
    if (fence === null || fence?.epoch !== this.epoch) {
      throw new NotOwnerError(this.customerId);
    }
    return fence;
  }

  private async takeStep(): Promise<{ outcome: StepOutcome; wakeAt?: number }> {
    await this.ensureLoaded();
    const unrecorded = this.unrecorded;
    this.unrecorded = null;
    if (unrecorded !== null && unrecorded.version === this.version) {
      await this.recordOutcome(unrecorded.append);
      return { outcome: 'deliver' };
    }
    await this.fillWindow();
    const now = this.ctx.clock.now();
    const stepFailing = this.stepFailure !== null;
    const decision = decide(
      this.state,
      { now, pending: this.window.pending, stepFailing },
      this.ctx.settings,
    );
    switch (decision.kind) {
      case 'idle':
        return { outcome: 'idle' };
      case 'waitUntil':
        return { outcome: 'waitUntil', wakeAt: decision.at };
      case 'alert':
        await this.record([decision.event]);
        this.ctx.logger.info({ customerId: this.customerId, ...decision.event.data }, decision.event.type);
        return { outcome: 'alert' };
      case 'skip':
        await this.skip(decision.ids, decision.reason);
        return { outcome: 'skip' };
      case 'deliver':
        await this.deliver(decision.ids, decision.attempt);
        return { outcome: 'deliver' };
      default: {
        const unknown: never = decision;
        throw new Error(`unknown decision ${JSON.stringify(unknown)}`);
      }
    }
  }

  /**
   * Discards every pending message (up to `throughId` when given): the only way a queued message is
   * dropped. Recorded as QueuePurged events listing the ids.
   */
  async purge(throughId?: number): Promise<number[]> {
    await this.ensureLoaded();
    const ids: number[] = [];
    for (let after = this.state.cursor; ;) {
      const read = await this.ctx.queue.readPage(this.customerId, after, PURGE_READ_PAGE);
      const page = read.messages;
      const chosen = page.filter((message) => throughId === undefined || message.id <= throughId);
      ids.push(...chosen.map((message) => message.id));
      const last = page.at(-1);
      if (last === undefined || read.remaining === 0 || chosen.length < page.length) {
        break;
      }
      after = last.id;
    }
    const through = ids.at(-1);
    if (through === undefined) {
      return [];
    }
    await this.advance(queuePurged(ids, this.ctx.clock.now()), ids.length, through);
    this.ctx.logger.info({ customerId: this.customerId, count: ids.length, through }, 'queue purged');
    return ids;
  }

  /** Drops what the window holds, so the next step reads from the stream (after a feed outage). */
  forgetWindow(): void {
    this.window.reset();
  }

  /** Reloads the stored snapshot (after a version conflict: another writer was here). */
  reload(): Promise<void> {
    this.loading = null;
    this.unrecorded = null; // planned against the state being replaced: the request goes again
    return this.ensureLoaded();
  }

  /** Loads the stored snapshot once: restart resumes from the projection, not a replay. */
  ensureLoaded(): Promise<void> {
    this.loading ??= this.ctx.store.loadWithSecret(this.customerId).then(
      (loaded) => {
        const snapshot = loaded?.snapshot;
        this.state = snapshot?.state ?? initialState();
        this.version = snapshot?.version ?? 0;
        this.secrets = loaded?.secrets ?? null;
        this.window.removeThrough(this.state.cursor);
        // The stored count until the first read or count: a command on a just-loaded actor must
        // not record (or report) an empty queue.
        this.window.assumeCount(snapshot?.pending ?? 0);
      },
      (error: unknown) => {
        this.loading = null;
        throw error;
      },
    );
    return this.loading;
  }

  /**
   * Brings the window up to what `decide` needs. A customer whose messages are held (no endpoint,
   * or it is disabled) needs no bodies: its messages are counted once, and the feed keeps the count.
   */
  private async fillWindow(): Promise<void> {
    const endpoint = this.state.settings;
    if (endpoint === null || !endpoint.enabled) {
      if (!this.window.countIsMeasured) {
        this.window.counted(await this.ctx.queue.pendingCount(this.customerId, this.state.cursor));
      }
      return;
    }
    const want = Math.max(this.ctx.settings.batchSize, 1);
    if (!this.window.needsRead(want)) {
      return;
    }
    // A replica behind the leader may answer a read (StaleReadError): another one likely will not.
    for (let tries = 1; ; tries += 1) {
      try {
        await this.readIntoWindow();
        return;
      } catch (error) {
        if (!(error instanceof StaleReadError) || tries === STALE_READ_TRIES) {
          throw error;
        }
      }
    }
  }

  private async readIntoWindow(): Promise<void> {
    const { afterId, max } = this.window.beginRead(this.state.cursor);
    try {
      const page = await this.ctx.queue.readPage(this.customerId, afterId, max);
      this.window.endRead(page.messages, page.remaining);
      this.window.removeThrough(this.state.cursor);
    } catch (error) {
      this.window.abortRead();
      throw error;
    }
  }

  private async skip(ids: readonly number[], reason: 'unsubscribed' | 'unreadable'): Promise<void> {
    const unreadable = this.window.messages.flatMap((m) =>
      m.kind === 'unreadable' && ids.includes(m.id) ? [m] : [],
    );
    const event = messagesSkipped(ids, reason, unreadable, this.ctx.clock.now());
    await this.advance([event], ids.length, Math.max(...ids));
    this.ctx.logger.info({ customerId: this.customerId, ids, reason }, 'messages skipped');
  }

  // 1. build the request from the window, 2. send it, 3. record the outcome, 4. release the
  // delivered messages from the stream. A crash between 2 and 3 repeats the request on restart.
  private async deliver(ids: readonly number[], attempt: number): Promise<void> {
    const endpoint = this.state.settings;
    if (endpoint === null) {
      return;
    }
    const messages = this.window.messages
      .filter((m) => ids.includes(m.id))
      .flatMap((m) => (m.kind === 'message' ? [m] : []));
    const first = messages[0];
    const last = messages.at(-1);
    if (first === undefined || last === undefined) {
      return;
    }
    const secrets = await this.loadSecrets();
    // The last moment before a request: by this instance's own clock its lease must still hold,
    // and be the one this actor came into memory under.
    if (this.ctx.ownership !== undefined && !this.ctx.ownership.mayStart(this.customerId)) {
      throw new NotOwnerError(this.customerId);
    }
    this.fence();
    const now = this.ctx.clock.now();
    const batch = { firstId: first.id, lastId: last.id, count: messages.length, attempt };
    const span = this.ctx.tracing?.startAttempt(
      { customerId: this.customerId, ...batch, batching: endpoint.batching },
      messages.map((message) => message.trace),
    );
    const result = await this.send(
      {
        url: endpoint.url,
        secrets: signingSecrets(secrets, now),
        messages,
        batching: endpoint.batching,
        authorizationHeader: endpoint.authorizationHeader,
        acceptAny2xx: endpoint.acceptAny2xx,
        timeoutMs: endpoint.batching ? this.ctx.settings.timeoutBatchMs : this.ctx.settings.timeoutSingleMs,
        region: endpoint.region,
        now,
        trace: span === undefined ? carriedTrace(messages) : span.trace,
      },
      span,
    );
    if (result.unencodable !== undefined) {
      // No request can carry it: the next step skips it as unreadable, after what precedes it.
      this.window.markUnreadable(result.unencodable.webhookId, result.unencodable.reason);
      return;
    }
    const event = attemptOutcome({ ...batch, event: first.event }, result, this.ctx.clock.now());
    const { ok, durationMs, statusCode } = result;
    this.ctx.observer?.attempted({ ok, batching: endpoint.batching, count: messages.length, durationMs });
    const log = {
      customerId: this.customerId,
      webhookId: first.id,
      lastWebhookId: last.id,
      attempt,
      statusCode,
    };
    if (event.type === 'DeliverySucceeded') {
      await this.recordOutcome(() => this.advance([event], messages.length, last.id, span));
      this.ctx.logger.debug(log, 'delivered');
    } else {
      await this.recordOutcome(() => this.record([event], { attempt: span }));
      this.ctx.logger.info({ ...log, error: event.data.error }, 'delivery failed');
    }
  }

  /**
   * Appends a request's outcome. If the append fails (the database is down), the outcome is kept
   * and the next step appends it before anything else, so the request is not sent again. A
   * restart, a reload (another writer was here) or another append meanwhile (a purge, an alert)
   * drops it: the next step decides afresh, and may repeat the request.
   */
  private async recordOutcome(append: () => Promise<void>): Promise<void> {
    this.unrecorded = { append, version: this.version };
    await append();
    this.unrecorded = null;
  }

  private async send(request: DeliveryRequest, span: AttemptSpan | undefined): Promise<DeliveryResult> {
    try {
      const result = await this.ctx.sender.send(request);
      span?.end(result);
      return result;
    } catch (error) {
      // A bug, not a delivery failure (those are values): the step fails and is retried.
      span?.end({ ok: false, statusCode: null, durationMs: 0, error: 'the sender threw' });
      throw error;
    }
  }

  /**
   * Records events that move the cursor, then drops those messages from memory and the stream.
   * The window changes only after the commit: a failed append must leave the head where it was.
   */
  private async advance(
    events: CustomerQueueEvent[],
    count: number,
    throughId: number,
    attempt?: AttemptSpan,
  ): Promise<void> {
    await this.record(events, { pending: this.window.countAfter(throughId, count), attempt });
    this.window.removeThrough(throughId, count);
    this.ctx.queue.release(this.customerId, throughId);
  }

  /** Counts a failed step and, once it has lasted the stall threshold, records QueueStalled if it can. */
  private async noteStepFailure(error: unknown): Promise<void> {
    const now = this.ctx.clock.now();
    this.stepFailure = stepFailed(
      this.stepFailure,
      error instanceof Error ? error.message : String(error),
      now,
    );
    this.ctx.observer?.stepFailed?.();
    const headId = this.window.messages[0]?.id ?? null;
    const alert =
      this.pending > 0 ? stepStallAlert(this.state, this.stepFailure, headId, now, this.ctx.settings) : null;
    if (alert !== null) {
      // The database may be what fails: then this fails too, and the next failed step tries again.
      await this.record([alert]).then(
        () => this.ctx.logger.info({ customerId: this.customerId, ...alert.data }, alert.type),
        () => undefined,
      );
    }
  }

  /**
   * Rotates the endpoint's secret (domain rotateTo), the current one read in the append chain's
   * turn. Throws NoEndpointError when the customer has no endpoint.
   */
  async rotateSecret(secret: string, overlapMs: number): Promise<SecretRotated['data']> {
    await this.ensureLoaded();
    const settings = this.state.settings;
    if (settings === null) {
      throw new NoEndpointError(this.customerId);
    }
    return this.appendPlanned(async () => {
      const { current } = await this.loadSecrets();
      const { event, secrets } = rotateTo(secret, current, this.ctx.clock.now(), overlapMs);
      return { events: [event], secrets, result: event.data };
    });
  }

  private async loadSecrets(): Promise<EndpointSecrets> {
    this.secrets ??= await this.ctx.store.getSecrets(this.customerId);
    if (this.secrets === null) {
      throw new Error(`customer ${this.customerId} has no secret stored`);
    }
    return this.secrets;
  }
}
