/** WebSocket close codes the handshake uses. */
export const CloseCode = { normal: 1000, goingAway: 1001, policy: 1008, tooBig: 1009, tryAgain: 1013 } as const;

/**
 * A close reason for a WebSocket close: the code when it is a short ASCII identifier, else empty.
 * ws throws for a reason over 123 bytes, and a peer's `error` frame chose the code: 64 multibyte
 * characters crashed the master.
 */
export function closeReason(code: string): string {
  return /^[\x21-\x7e]{1,123}$/.test(code) ? code : '';
}
