import { ApiError } from '../core/api-error.js';

type ErrorBody = ReturnType<ApiError['toBody']>;

/** Runs a NATS handler and turns any failure into the `{ error }` reply of CONTRACT.md. */
export async function rpc<T>(
  work: () => Promise<T>,
  onUnexpected: (error: unknown) => void,
): Promise<T | ErrorBody> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError) {
      return error.toBody();
    }
    onUnexpected(error);
    return new ApiError(500, 'INTERNAL', 'internal error').toBody();
  }
}
