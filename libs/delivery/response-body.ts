import type { Readable } from 'node:stream';

/** The first bytes of a response body, and whether there was more. */
export interface CappedBody {
  text: string;
  truncated: boolean;
}

/**
 * Reads at most `maxBytes` of a response body as text. A body that ends within the cap is fully
 * consumed (the connection goes back to the pool); a longer one is destroyed (the connection closes).
 */
export async function readCapped(body: Readable, maxBytes: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let length = 0;
  let truncated = false;
  // Leaving the loop early (break or throw) destroys the stream, which is what we want past the cap.
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = maxBytes - length;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    length += Math.min(chunk.length, room);
    if (length >= maxBytes) {
      truncated = chunk.length > room || !body.readableEnded;
      break;
    }
  }
  if (!body.destroyed && !body.readableEnded) {
    body.destroy();
  }
  // A cut may split a multi-byte character; the decoder turns the stray bytes into U+FFFD.
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}
