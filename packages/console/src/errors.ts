/**
 * The console's own error codes. An answer of the master keeps the master's code
 * (`ERR_AUTH_FORBIDDEN`...): the console runs in a browser and loads no Brine package, so it
 * compares the few it needs as the API documents them.
 */
export const ConsoleErrorCode = {
  /** A non-2xx answer whose body is not the API's `{code, message}` (a proxy's page, say). */
  http: 'ERR_HTTP',
} as const;
