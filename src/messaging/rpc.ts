import { ApiError } from '../core/api-error.js';
import { toApiError } from '../core/to-api-error.js';

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

/** The request body; throws the ApiError parseRequest put in its place when it could not be taken. */
export function requestBody(body: unknown): unknown {
  if (body instanceof ApiError) {
    throw body;
  }
  return body;
}
