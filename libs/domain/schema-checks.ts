/**
 * Tiny runtime checks for stored JSON, hand-written so the domain stays free of dependencies.
 * A check returns null when the value fits (allocating nothing: replay runs it on every event),
 * else the reason, starting with the path below the checked value (`.ids[2] must be ...`).
 */

/** Checks one value: null when it fits, else `<path below it> must be ...`. */
export type Check = (value: unknown) => string | null;

const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer at least `min`. */
export const int =
  (min: number): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min
      ? null
      : ` must be an integer >= ${min}, got ${show(value)}`;

/** A finite number at least 0 (durations may carry fractions of a millisecond). */
export const nonNegative: Check = (value) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? null
    : ` must be a number >= 0, got ${show(value)}`;

/** Any string. */
export const str: Check = (value) =>
  typeof value === 'string' ? null : ` must be a string, got ${show(value)}`;

/** true or false. */
export const bool: Check = (value) =>
  typeof value === 'boolean' ? null : ` must be true or false, got ${show(value)}`;

/** One of the listed strings. */
export const oneOf =
  (...allowed: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && allowed.includes(value)
      ? null
      : ` must be one of ${allowed.join(', ')}, got ${show(value)}`;

/** The check, or null. */
export const nullable =
  (check: Check): Check =>
  (value) =>
    value === null ? null : check(value);

/** The check, or absent. */
export const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined ? null : check(value);

/** An array whose every item passes `check`; `nonEmpty` refuses []. */
export const arrayOf =
  (check: Check, { nonEmpty = false } = {}): Check =>
  (value) => {
    if (!Array.isArray(value) || (nonEmpty && value.length === 0)) {
      return ` must be a${nonEmpty ? ' non-empty' : 'n'} array, got ${show(value)}`;
    }
    for (let index = 0; index < value.length; index += 1) {
      const reason = check(value[index]);
      if (reason !== null) {
        return `[${index}]${reason}`;
      }
    }
    return null;
  };

/**
 * An object with these fields. Unknown fields are allowed (like zod's default): they cannot change
 * the fold, and a reader must not refuse data that a newer writer enriched.
 */
export const object = (fields: Readonly<Record<string, Check>>): Check => {
  const entries = Object.entries(fields);
  return (value) => {
    if (!isRecord(value)) {
      return ` must be an object, got ${show(value)}`;
    }
    for (const [name, check] of entries) {
      const reason = check(value[name]);
      if (reason !== null) {
        return `.${name}${reason}`;
      }
    }
    return null;
  };
};

/** Both checks, in order (a shape check, then a rule across fields that may trust the shape). */
export const both =
  (first: Check, second: Check): Check =>
  (value) =>
    first(value) ?? second(value);
