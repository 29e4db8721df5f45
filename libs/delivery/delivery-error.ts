/** Network error codes mapped to the short texts kept in the failure record. */
const TEXT_BY_CODE: Readonly<Record<string, string>> = {
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by receiver',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'source address not available',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
};

function errorChain(
  err: unknown,
): { code?: unknown; message?: unknown; address?: unknown; hostname?: unknown }[] {
  const chain: { code?: unknown; message?: unknown; address?: unknown; hostname?: unknown }[] = [];
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && chain.length < 5) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * Turns an error thrown while delivering into a short human-readable text ('connection reset',
 * 'forbidden address 10.0.0.1', ...), looking through undici's `cause` wrapping.
 */
export function describeDeliveryError(err: unknown, timeoutMs: number): string {
  const chain = errorChain(err);
  for (const link of chain) {
    const code = typeof link.code === 'string' ? link.code : '';
    if (code === 'ERR_HOOKPOST_FORBIDDEN_ADDRESS') {
      return `forbidden address ${String(link.address)}`;
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return `timeout after ${timeoutMs} ms`;
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
      return `DNS lookup failed for ${typeof link.hostname === 'string' ? link.hostname : 'host'} (${code})`;
    }
    const text = TEXT_BY_CODE[code];
    if (text !== undefined) {
      return text;
    }
    if (/CERT|TLS|SSL/.test(code)) {
      return `TLS error: ${String(link.message)}`;
    }
  }
  const first = chain[0];
  const message = typeof first?.message === 'string' && first.message !== '' ? first.message : String(err);
  return shorten(message, 300);
}

/** Cuts a text to `max` characters with an ellipsis, so failure records stay small. */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
