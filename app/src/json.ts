// JSON text written without JSON.stringify where the result is known to be the same: shared by the
// access log line (src/logger.ts) and the OTLP export request (src/otlp-json.ts).

/** Printable ASCII without `"` and `\\`: JSON writes such a string as it is, between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as JSON: JSON.stringify's output, without calling it for a plain string (request ids, most URLs, span names and ids). */
export function jsonString(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}
