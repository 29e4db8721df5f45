/**
 * Every form a receiver may plausibly echo a secret in: raw, JSON-escaped, base64, base64url, hex
 * (both cases) and URL-encoded. Checked in every reply, row, log line and feed message.
 */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    // encodeURIComponent throws on a lone surrogate; a receiver could only echo the replacement
    // character that UTF-8 encoding puts in its place (with /u a surrogate pair never matches).
    encodeURIComponent(secret.replace(/[\ud800-\udfff]/gu, '\ufffd')),
  ];
}

/** The first secret (and the form) found in `text`, or null. */
export function findSecret(text: string, secrets: Iterable<string>): string | null {
  for (const secret of secrets) {
    const form = secretForms(secret).find((candidate) => text.includes(candidate));
    if (form !== undefined) {
      return `secret ${JSON.stringify(secret)} as ${JSON.stringify(form)}`;
    }
  }
  return null;
}

/**
 * Finds any form of many secrets in many texts (every log line of a long run): the forms are
 * computed once and indexed by their first characters, so a text is read once whatever the number
 * of secrets. findSecret recomputed 7 forms per secret per text: a 100,000-input run spent more
 * than its whole fuzzing time scanning the log.
 */
export class SecretScanner {
  private readonly byKey = new Map<string, Array<{ secret: string; form: string }>>();
  private readonly keyLength: number;

  constructor(secrets: Iterable<string>) {
    const forms = [...secrets].flatMap((secret) =>
      [...new Set(secretForms(secret))].map((form) => ({ secret, form })),
    );
    this.keyLength = Math.min(16, ...forms.map(({ form }) => form.length));
    for (const entry of forms) {
      const key = entry.form.slice(0, this.keyLength);
      this.byKey.set(key, [...(this.byKey.get(key) ?? []), entry]);
    }
  }

  /** The first secret (and the form) found in `text`, or null. */
  find(text: string): string | null {
    if (this.byKey.size === 0) {
      return null;
    }
    for (let at = 0; at + this.keyLength <= text.length; at++) {
      const found = this.byKey
        .get(text.slice(at, at + this.keyLength))
        ?.find(({ form }) => text.startsWith(form, at));
      if (found !== undefined) {
        return `secret ${JSON.stringify(found.secret)} as ${JSON.stringify(found.form)}`;
      }
    }
    return null;
  }
}
