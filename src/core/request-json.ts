import { isUtf8 } from 'node:buffer';
import { jsonTextProblem, MAX_DATA_DEPTH, MAX_REQUEST_DEPTH } from '../../libs/domain/index.js';
import { ApiError } from './api-error.js';

/**
 * Why a request body (HTTP or NATS, as received) cannot be taken, before it is parsed: not UTF-8
 * (decoding would put replacement characters in the payload), nested deeper than any message may be
 * (parsing and validating it would overflow the stack), or holding a number a double cannot carry
 * exactly. Null when it may be parsed.
 */
export function requestJsonError(bytes: Uint8Array): ApiError | null {
  if (!isUtf8(bytes)) {
    return new ApiError(400, 'MALFORMED_JSON', 'the body is not valid UTF-8');
  }
  const problem = jsonTextProblem(bytes, MAX_REQUEST_DEPTH);
  return problem === null
    ? null
    : new ApiError(
        400,
        'UNSUPPORTED_JSON',
        `${problem} (a message's data may nest ${MAX_DATA_DEPTH} levels)`,
      );
}

/** The JSON of a request body, or the ApiError saying why it cannot be taken. */
export function parseRequestJson(bytes: Uint8Array): unknown {
  const refused = requestJsonError(bytes);
  if (refused !== null) {
    return refused;
  }
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    return new ApiError(
      400,
      'MALFORMED_JSON',
      `the request is not valid JSON: ${error instanceof Error ? error.message : 'not JSON'}`,
    );
  }
}
