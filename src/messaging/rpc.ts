import { ApiError } from '../core/api-error.js';
import { toApiError } from '../core/to-api-error.js';
import { MalformedBody } from './plain-json.js';

type ErrorBody = ReturnType<ApiError['toBody']>;

/** Runs a NATS handler and turns any failure into the `{ error }` reply (docs/contract.md, "Errors"). */
export async function rpc<T>(
  work: () => Promise<T>,
  onUnexpected: (error: unknown) => void,
): Promise<T | ErrorBody> {
  try {
    return await work();
  } catch (error) {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      onUnexpected(error);
    }
    return apiError.toBody();
  }
}

/** The request body, or the MALFORMED_JSON error when it was not JSON. */
export function requestBody(body: unknown): unknown {
  if (body instanceof MalformedBody) {
    throw new ApiError(400, 'MALFORMED_JSON', `the request is not valid JSON: ${body.reason}`);
  }
  return body;
}
