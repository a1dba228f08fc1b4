/**
 * Error helpers shared by the token server and the dev media server.
 */

/** The message of anything thrown (for logs: never a token, a secret or chat text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
