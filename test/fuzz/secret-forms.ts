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
