/**
 * The forms in which a receiver may echo a secret back in a response body (the Authorization
 * header or the body's `secret`, quoted in an error page), so every form can be redacted before a
 * failure text is stored, logged or published.
 */

const REDACTED = '[redacted]';
const encoder = new TextEncoder();

/** Escapes a text for a RegExp source. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A hex digit of either case, as a RegExp source. */
function hexDigit(digit: string): string {
  return /[a-f]/i.test(digit) ? `[${digit.toLowerCase()}${digit.toUpperCase()}]` : digit;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The HTML entities a page may write for a character (an echo inside an HTML error page). */
const ENTITIES: Readonly<Record<string, readonly string[]>> = {
  '"': ['&quot;', '&#34;', '&#x22;'],
  "'": ['&#39;', '&#x27;', '&apos;'],
  '&': ['&amp;', '&#38;'],
  '<': ['&lt;', '&#60;'],
  '>': ['&gt;', '&#62;'],
};

/**
 * Every way one character may appear in an echo: as is; JSON-escaped, once or nested (`\"`, `\\`,
 * `\/`, `\u0022` in either case, behind any number of backslashes); URL-encoded (each UTF-8 byte as
 * `%XX` in either case, a space as `+`); or as an HTML entity. A mix of these forms matches too.
 */
function characterForms(char: string): string {
  const forms = [literal(char)];
  if (char === '"' || char === '\\' || char === '/') {
    forms.push(`\\\\+${literal(char)}`);
  }
  for (let i = 0; i < char.length; i += 1) {
    const unit = char.charCodeAt(i).toString(16).padStart(4, '0');
    forms.push(`\\\\+u${[...unit].map(hexDigit).join('')}`);
  }
  forms.push(
    [...hex(encoder.encode(char))].map((digit, i) => (i % 2 === 0 ? '%' : '') + hexDigit(digit)).join(''),
  );
  if (char === ' ') {
    forms.push('\\+');
  }
  forms.push(...(ENTITIES[char] ?? []));
  return `(?:${forms.join('|')})`;
}

/** The escaped forms of `chars` in a row, as one RegExp source. */
function escapedForms(chars: readonly string[]): string {
  return chars.map(characterForms).join('');
}

/**
 * The secret's bytes in base64 and base64url, whole (with and without padding), and the part that
 * stays the same wherever it falls in a longer encoded text (`Bearer <secret>` encoded as a whole
 * shifts the secret by 7 bytes): the characters that depend on the secret's bytes alone, for each
 * of the three alignments. At most the few bits at either end of a misaligned echo remain.
 */
function base64Forms(bytes: Uint8Array): string[] {
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift += 1) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const start = Math.ceil((shift * 8) / 6);
    const end = Math.floor(((shift + bytes.length) * 8) / 6);
    if (shift === 0) {
      forms.push(padded, padded.replace(/=+$/, ''));
    }
    if (end - start >= 4) {
      forms.push(padded.slice(start, end));
    }
  }
  const urlSafe = forms.map((form) => form.replace(/\+/g, '-').replace(/\//g, '_'));
  // Longest first, so a whole encoding is redacted before a core inside it is.
  return [...new Set([...forms, ...urlSafe])].sort((a, b) => b.length - a.length);
}

/**
 * Compiled patterns per secret: compiling them costs ~1 ms, matching a 4 KiB body ~0.05 ms, and the
 * same few secrets fail again and again. Bounded: emptied when it holds PATTERN_CACHE_SIZE secrets.
 */
const patternCache = new Map<string, { all: RegExp[]; cutOff: RegExp }>();
const PATTERN_CACHE_SIZE = 1_000;

/** The patterns that find one secret in a text (most specific first), and its cut-off form. */
function patternsFor(secret: string): { all: RegExp[]; cutOff: RegExp } {
  let patterns = patternCache.get(secret);
  if (patterns === undefined) {
    const bytes = encoder.encode(secret);
    const all = [
      new RegExp(escapedForms([...secret]), 'g'),
      new RegExp(literal(hex(bytes)), 'gi'),
      ...base64Forms(bytes).map((form) => new RegExp(literal(form), 'g')),
    ];
    patterns = { all, cutOff: cutOffForm(secret) };
    if (patternCache.size >= PATTERN_CACHE_SIZE) {
      patternCache.clear();
    }
    patternCache.set(secret, patterns);
  }
  return patterns;
}

/** A RegExp source that matches any non-empty prefix of `parts` in a row: `a(?:b(?:c)?)?`. */
function anyPrefix(parts: readonly string[]): string {
  return parts.reduceRight((rest, part, index) => (index === 0 ? part + rest : `(?:${part}${rest})?`), '');
}

/**
 * With a text cut off at the cap: the end of the text that is the start of one of the secret's
 * forms (raw or escaped, hex, base64), so no prefix of the secret leaks.
 */
function cutOffForm(secret: string): RegExp {
  const bytes = encoder.encode(secret);
  const encoded = [hex(bytes), hex(bytes).toUpperCase(), ...base64Forms(bytes)].map((form) =>
    anyPrefix([...form].map(literal)),
  );
  // The cut may also fall inside the next character's escape (`%C3%`, `\\u00`, `&am`).
  const partialEscape = '(?:[\\\\%&][\\\\%#\\w]{0,11})?';
  const escaped = anyPrefix([...secret].map(characterForms)) + partialEscape;
  return new RegExp(`(?:${[escaped, ...encoded].join('|')})$`);
}

/**
 * Replaces every occurrence of every secret, in every form a receiver may echo it (raw,
 * JSON-escaped, URL-encoded, HTML-escaped, hex of either case, base64, base64url), with
 * `[redacted]`. With `truncated`, a form cut off at the end of the text is redacted too.
 */
export function redactSecrets(text: string, secrets: readonly string[], truncated = false): string {
  let result = text;
  for (const secret of secrets) {
    if (secret === '') {
      continue;
    }
    for (const pattern of patternsFor(secret).all) {
      result = result.replace(pattern, REDACTED);
    }
  }
  if (truncated) {
    result = result.replace(/\uFFFD$/, ''); // half a multi-byte character at the cut
    for (const secret of secrets) {
      // Only the end can hold a cut-off form: the longest escaped form is ~20 characters a character.
      const from = Math.max(0, result.length - secret.length * 20 - 12);
      if (secret !== '') {
        result = result.slice(0, from) + result.slice(from).replace(patternsFor(secret).cutOff, REDACTED);
      }
    }
  }
  return result;
}
