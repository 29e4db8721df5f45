/**
 * How deep a message's `data` may nest (objects and arrays, the data object itself is level 1). Deeper
 * JSON overflows the stack of the code that walks or re-serialises it; no real payload comes close.
 */
export const MAX_DATA_DEPTH = 64;

/** The nesting a queued body `{ "event", "data" }` may have: data's limit plus the body's own level. */
export const MAX_BODY_DEPTH = MAX_DATA_DEPTH + 1;

/**
 * The nesting any request body may have before it is parsed: room for `data` inside the deepest
 * envelope (`<ns>.publish.batch`: `{ messages: [ { data } ] }`). The exact limit is checked on the
 * queued body, the same bytes on every entry point.
 */
export const MAX_REQUEST_DEPTH = MAX_DATA_DEPTH + 3;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** Why JSON text cannot be carried exactly (too deep, or a number a double cannot hold), or null. */
export function jsonTextProblem(bytes: Uint8Array, maxDepth: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) {
        i++;
      } else if (byte === QUOTE) {
        inString = false;
      }
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > maxDepth) {
        return `the JSON is nested more than ${maxDepth} levels deep`;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    } else if (byte === MINUS || (byte >= ZERO && byte <= NINE)) {
      const end = numberEnd(bytes, i);
      const problem = numberProblem(bytes, i, end);
      if (problem !== null) {
        return problem;
      }
      i = end - 1;
    }
  }
  return null;
}

/** The index after the number token starting at `start` (its characters: digits, - + . e E). */
function numberEnd(bytes: Uint8Array, start: number): number {
  let end = start;
  while (end < bytes.length && isNumberByte(bytes[end]!)) {
    end++;
  }
  return end;
}

function isNumberByte(byte: number): boolean {
  return (
    (byte >= ZERO && byte <= NINE) ||
    byte === MINUS ||
    byte === 0x2b ||
    byte === 0x2e ||
    (byte | 0x20) === 0x65
  );
}

/**
 * Why the number token cannot be carried exactly, or null. JSON.parse reads numbers as doubles and
 * JSON.stringify writes the shortest form of the double: a token whose decimal value that form does
 * not equal (1e400, 9007199254740993, 0.1000000000000000055511) would reach the receiver changed.
 */
function numberProblem(bytes: Uint8Array, start: number, end: number): string | null {
  // Most numbers are short integers, which a double holds exactly.
  if (end - start <= 15 && isPlainInteger(bytes, start, end)) {
    return null;
  }
  const token = String.fromCharCode(...bytes.subarray(start, Math.min(end, start + 400)));
  if (end - start > 400) {
    return `a number of ${end - start} characters cannot be carried exactly; send it as a string`;
  }
  const value = Number(token);
  if (Number.isNaN(value)) {
    return null; // Not a JSON number at all: the parser reports the syntax error.
  }
  const sent = decimalValue(token);
  if (sent === null || !Number.isFinite(value) || sent !== decimalValue(String(value))) {
    return `the number ${token} cannot be carried exactly (numbers are IEEE 754 doubles); send it as a string`;
  }
  return null;
}

function isPlainInteger(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = bytes[start] === MINUS ? start + 1 : start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte < ZERO || byte > NINE) {
      return false;
    }
  }
  return true;
}

/**
 * A number's exact decimal value in one canonical form, `<sign><digits>e<exponent>` with no leading
 * or trailing zeros (zero is "0"), so two spellings of one value compare equal; null if not a number.
 */
function decimalValue(token: string): string | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (match === null) {
    return null;
  }
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') {
    return '0';
  }
  const significant = digits.replace(/0+$/, '');
  const power = Number(exponent) - fraction.length + (digits.length - significant.length);
  return `${sign}${significant}e${power}`;
}
