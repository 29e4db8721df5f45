import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate } from 'class-validator';
import { ApiError } from './api-error.js';

/** The options every entry point validates with: unknown fields are refused, not dropped. */
export const validationOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
} as const;

/** Validates a plain body against a DTO class; throws ApiError (400) when it does not fit. */
export async function validateBody<T extends object>(type: ClassConstructor<T>, body: unknown): Promise<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'the body must be a JSON object');
  }
  const instance = toInstance(type, body);
  const errors = await validate(instance, validationOptions);
  if (errors.length > 0) {
    throw ApiError.fromValidation(errors);
  }
  return instance;
}

/**
 * class-transformer guesses the class of an object in an untyped place (an unknown field, an
 * object where a string belongs) from its `constructor`: an own `constructor` key that is not a
 * class makes it throw. Such an object is never valid outside `data` (which RawJson keeps out of
 * its reach), so that throw is the caller's error: a 400 naming the field, not a 500.
 */
function toInstance<T extends object>(type: ClassConstructor<T>, body: object): T {
  try {
    return plainToInstance(type, body);
  } catch (error) {
    const field = constructorKeyAt(body);
    if (error instanceof TypeError && field !== null) {
      throw new ApiError(
        400,
        'VALIDATION_FAILED',
        `${field}: an object with a key named "constructor" is not allowed here (only in a message's data)`,
        [{ field, problems: ['an object with a key named "constructor" is not allowed here'] }],
      );
    }
    throw error;
  }
}

/** The path of the first value under `value` that is an object with an own `constructor` key, or null. */
function constructorKeyAt(value: unknown, path = ''): string | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  if (path !== '' && Object.hasOwn(value, 'constructor')) {
    return path;
  }
  for (const [key, child] of Object.entries(value)) {
    const found = constructorKeyAt(child, path === '' ? key : `${path}.${key}`);
    if (found !== null) {
      return found;
    }
  }
  return null;
}
