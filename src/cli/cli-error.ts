/** A failure the CLI reports as one line (no stack trace) with exit code 1: bad input, nothing answering. */
export class CliError extends Error {
  override name = 'CliError';
}
