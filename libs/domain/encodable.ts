/**
 * Why `value` cannot be written as JSON again, or null when it can. JSON.parse takes nesting that
 * JSON.stringify cannot write back (it recurses: some thousands of levels exhaust the stack), so a
 * stored body can parse and still never make a request.
 */
export function encodingProblem(value: unknown): string | null {
  try {
    JSON.stringify(value);
    return null;
  } catch (error) {
    return `cannot be encoded as JSON again (${error instanceof Error ? error.message : String(error)})`;
  }
}
