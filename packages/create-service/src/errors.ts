/** Stable codes of the generator's errors. */
export type CreateServiceErrorCode = 'INVALID_NAME' | 'TARGET_NOT_EMPTY' | 'USAGE';

/** A generator error with a stable `code`; the CLI prints its message and exits non-zero. */
export class CreateServiceError extends Error {
  readonly code: CreateServiceErrorCode;

  constructor(code: CreateServiceErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CreateServiceError';
    this.code = code;
  }
}
