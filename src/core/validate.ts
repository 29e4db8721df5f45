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
  const instance = plainToInstance(type, body);
  const errors = await validate(instance, validationOptions);
  if (errors.length > 0) {
    throw ApiError.fromValidation(errors);
  }
  return instance;
}
