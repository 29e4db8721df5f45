import type { ValidationError } from 'class-validator';

/** The one error shape of every entry point: `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The body sent to the caller. */
  toBody(): { error: { code: string; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }

  static badRequest(message: string, details?: unknown): ApiError {
    return new ApiError(400, 'BAD_REQUEST', message, details);
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, 'NOT_FOUND', message);
  }

  /** 429: the caller asked too often; `details.retryAfterSeconds` (and HTTP's Retry-After) say when to ask again. */
  static rateLimited(message: string, retryAfterSeconds: number): ApiError {
    return new ApiError(429, 'RATE_LIMITED', message, { retryAfterSeconds });
  }

  /** Seconds until the caller may ask again, for a rate-limited request. */
  get retryAfterSeconds(): number | undefined {
    const details = this.details as { retryAfterSeconds?: unknown } | undefined;
    return this.status === 429 && typeof details?.retryAfterSeconds === 'number'
      ? details.retryAfterSeconds
      : undefined;
  }

  /** Turns class-validator's errors into one 400 listing each field's problems. */
  static fromValidation(errors: readonly ValidationError[]): ApiError {
    const details = flatten(errors);
    const first = details[0];
    const message =
      first === undefined ? 'invalid input' : `${first.field}: ${first.problems[0] ?? 'invalid'}`;
    return new ApiError(400, 'VALIDATION_FAILED', message, details);
  }
}

function flatten(
  errors: readonly ValidationError[],
  prefix = '',
): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
