import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  defaultDeliverySettings,
  isNamespace,
  NAMESPACE_PATTERN,
  type DeliverySettings,
} from '../../libs/domain/index.js';

/** Everything the service reads from the environment (docs/contract.md, "Settings"). */
export interface AppConfig {
  readonly port: number;
  readonly host: string;
  /** NATS_URL split at commas: several servers of one cluster, tried in turn and on reconnect. */
  readonly natsUrls: string[];
  /**
   * With NATS_URL unset: where Hookpost runs its own nats-server when the one at the default address
   * is older than the minimum (a fresh machine whose distribution ships an old one). Null when
   * NATS_URL is set: an old server there is refused, not stepped around.
   */
  readonly natsFallbackUrl: string | null;
  /** Copies of the queue and events streams (HOOKPOST_STREAM_REPLICAS, default 1; 3 in a cluster). */
  readonly streamReplicas: number;
  /** The nats-server the embedded default starts (NATS_SERVER_BIN); null: look on the PATH, else fetch one. */
  readonly natsServerBin: string | null;
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly namespace: string;
  readonly adminToken: string | null;
  readonly encryptionKey: string | null;
  readonly delivery: DeliverySettings;
  readonly allowPrivateTargets: boolean;
  /** Stream caps (-1 = none): a full stream refuses publishes with QUEUE_FULL and drops nothing. */
  readonly queueMaxMessages: number;
  readonly queueMaxBytes: number;
  readonly regions: string | undefined;
  /** Publish every committed event to `<NS>_EVENTS` (HOOKPOST_EVENTS_FEED, default on). */
  readonly eventsFeed: boolean;
  /** How long `<NS>_EVENTS` keeps an event (HOOKPOST_EVENTS_RETENTION_MS, default 7 days). */
  readonly eventsRetentionMs: number;
  /** An actor with nothing to do for this long leaves memory (HOOKPOST_ACTOR_IDLE_MS). */
  readonly actorIdleMs: number;
  readonly logLevel: LogLevel;
  /** Base of the status-page links (HOOKPOST_PUBLIC_URL); null: `http://HOST:PORT`, never a request's Host. */
  readonly publicUrl: string | null;
  /** CSP frame-ancestors of the status pages (HOOKPOST_UI_FRAME_ANCESTORS): who may embed them. */
  readonly uiFrameAncestors: string;
  /** Where `hookpost archive` writes its files and manifest (HOOKPOST_ARCHIVE_DIR, default `<data dir>/archive`). */
  readonly archiveDir: string;
  /** Archive events older than this, daily, in the delivering process (HOOKPOST_ARCHIVE_AFTER, e.g. 90d); null: off. */
  readonly archiveAfterMs: number | null;
  /**
   * Export spans with the OpenTelemetry SDK: an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true. The SDK reads the rest.
   */
  readonly otlpTracing: boolean;
  /** Active-active (PostgreSQL log): the partitions customers are hashed into (HOOKPOST_PARTITIONS, default 128). */
  readonly partitions: number;
  /** How long a partition lease lasts unrenewed (HOOKPOST_LEASE_MS, default 10 s). */
  readonly leaseMs: number;
  /** This instance in logs, metrics and the cluster view (HOOKPOST_INSTANCE_ID; default host name and pid). */
  readonly instanceId: string;
}

/** NATS_URL's default: NATS's own default address. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** The embedded nats-server's address when an older server holds the default one (the next port). */
export const EMBEDDED_FALLBACK_NATS_URL = 'nats://127.0.0.1:4223';

/** pino's levels, most to least severe, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting that cannot be used: the service refuses to start and says which and why. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      return fallback;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
    }
    return value;
  };
  const bool = (name: string, fallback = false) => {
    const raw = (env[name] || String(fallback)).toLowerCase();
    if (!['true', 'false', '1', '0'].includes(raw)) {
      throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
    }
    return raw === 'true' || raw === '1';
  };
  const namespace = env.HOOKPOST_NAMESPACE ?? 'hookpost';
  if (!isNamespace(namespace)) {
    throw new ConfigError(`HOOKPOST_NAMESPACE must match ${NAMESPACE_PATTERN.source}, got "${namespace}"`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (unset it to use the embedded SQLite)');
  }
  const dataDir = env.HOOKPOST_DATA_DIR ?? './var';
  return {
    port: int('PORT', 3000, 0, 65_535),
    host: env.HOST ?? '127.0.0.1',
    natsUrls: (env.NATS_URL ?? DEFAULT_NATS_URL)
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean),
    natsFallbackUrl: env.NATS_URL === undefined ? EMBEDDED_FALLBACK_NATS_URL : null,
    streamReplicas: int('HOOKPOST_STREAM_REPLICAS', 1, 1, 5),
    natsServerBin: env.NATS_SERVER_BIN?.trim() || null,
    databaseUrl,
    dataDir,
    namespace,
    adminToken: env.HOOKPOST_ADMIN_TOKEN || null,
    encryptionKey: env.HOOKPOST_ENCRYPTION_KEY || null,
    delivery: {
      backoffBaseMs: int('HOOKPOST_BACKOFF_BASE_MS', defaultDeliverySettings.backoffBaseMs, 1),
      backoffAttempts: int('HOOKPOST_BACKOFF_ATTEMPTS', defaultDeliverySettings.backoffAttempts, 0, 50),
      backoffDailyMs: int('HOOKPOST_BACKOFF_DAILY_MS', defaultDeliverySettings.backoffDailyMs, 1),
      batchSize: int('HOOKPOST_BATCH_SIZE', defaultDeliverySettings.batchSize, 1, 1_000),
      batchIntervalMs: int('HOOKPOST_BATCH_INTERVAL_MS', defaultDeliverySettings.batchIntervalMs, 0),
      timeoutSingleMs: int('HOOKPOST_TIMEOUT_SINGLE_MS', defaultDeliverySettings.timeoutSingleMs, 1),
      timeoutBatchMs: int('HOOKPOST_TIMEOUT_BATCH_MS', defaultDeliverySettings.timeoutBatchMs, 1),
      stallAlertMs: int('HOOKPOST_STALL_ALERT_MS', defaultDeliverySettings.stallAlertMs, 0),
    },
    allowPrivateTargets: bool('HOOKPOST_ALLOW_PRIVATE_TARGETS'),
    queueMaxMessages: int('HOOKPOST_QUEUE_MAX_MESSAGES', -1, -1),
    queueMaxBytes: int('HOOKPOST_QUEUE_MAX_BYTES', -1, -1),
    regions: env.HOOKPOST_REGIONS,
    eventsFeed: bool('HOOKPOST_EVENTS_FEED', true),
    eventsRetentionMs: int('HOOKPOST_EVENTS_RETENTION_MS', 7 * 86_400_000, 60_000),
    actorIdleMs: int('HOOKPOST_ACTOR_IDLE_MS', 30_000, 100),
    logLevel: logLevel(env.LOG_LEVEL),
    publicUrl: publicUrl(env.HOOKPOST_PUBLIC_URL),
    uiFrameAncestors: frameAncestors(env.HOOKPOST_UI_FRAME_ANCESTORS),
    archiveDir: env.HOOKPOST_ARCHIVE_DIR?.trim() || join(dataDir, 'archive'),
    archiveAfterMs: archiveAfter(env.HOOKPOST_ARCHIVE_AFTER),
    otlpTracing: otlpTracing(env),
    partitions: int('HOOKPOST_PARTITIONS', 128, 64, 4_096),
    leaseMs: int('HOOKPOST_LEASE_MS', 10_000, 500, 600_000),
    instanceId: instanceId(env.HOOKPOST_INSTANCE_ID),
  };
}

/** An OTLP endpoint is set and the SDK is not disabled (the SDK itself reads the other OTEL_* variables). */
function otlpTracing(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  return Boolean(endpoint) && !disabled;
}

const DURATION_UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

/** `90d`, `12h`, `30m` or `45s` in milliseconds; null when the text is not one. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,6})([dhms])$/.exec(text.trim());
  const value = match === null ? 0 : Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? 0);
  return value > 0 ? value : null;
}

function instanceId(raw: string | undefined): string {
  const value = raw?.trim() || `${hostname()}-${process.pid}`;
  if (!/^[\x21-\x7e]{1,128}$/.test(value)) {
    throw new ConfigError(`HOOKPOST_INSTANCE_ID must be 1-128 visible ASCII characters, got "${raw}"`);
  }
  return value;
}

function archiveAfter(raw: string | undefined): number | null {
  const value = raw?.trim();
  if (!value || value === 'off') {
    return null;
  }
  const ms = parseDuration(value);
  if (ms === null || ms < 3_600_000) {
    throw new ConfigError(
      `HOOKPOST_ARCHIVE_AFTER must be a duration of at least an hour such as 90d or 36h (or off), got "${raw}"`,
    );
  }
  return ms;
}

function logLevel(raw: string | undefined): LogLevel {
  const value = raw?.trim() || 'info';
  const known = LOG_LEVELS.find((level) => level === value);
  if (known === undefined) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return known;
}

function publicUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) {
    return null;
  }
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value)) {
    throw new ConfigError(
      `HOOKPOST_PUBLIC_URL must be an http(s) URL without query or fragment, got "${raw}"`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** CSP source expressions only: a ';' or a newline would let the setting write other directives. */
function frameAncestors(raw: string | undefined): string {
  const value = raw?.trim() || "'self'";
  if (!/^[A-Za-z0-9'*:/.\-_ ]+$/.test(value)) {
    throw new ConfigError(
      `HOOKPOST_UI_FRAME_ANCESTORS must be CSP sources separated by spaces (e.g. "'self' https://portal.example"), got "${raw}"`,
    );
  }
  return value.split(/\s+/).join(' ');
}
