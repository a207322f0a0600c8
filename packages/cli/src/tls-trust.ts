import { createHash } from 'node:crypto';
import { Agent } from 'node:https';
import type { Socket } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { CliError, CliErrorCode } from './errors.js';

/** How the CLI trusts an HTTPS master: a pinned certificate fingerprint, a CA file's PEM, or the system CAs. */
export interface TlsTrust {
  /** SHA-256 of the master's certificate, colon-separated hex (as the master prints it). */
  fingerprint?: string | undefined;
  /** PEM of the CA (or the master's own self-signed certificate) to verify against. */
  ca?: string | undefined;
}

/** The master's certificate did not verify, or did not match the pinned fingerprint. */
export class TlsTrustError extends CliError {
  constructor(url: string, cause: string) {
    super(
      CliErrorCode.tls,
      `cannot verify the master's certificate at ${url}: ${cause}; pin it with BRINE_FINGERPRINT ` +
        '(apiFingerprint in the master’s endpoints.json) or pass its certificate with --ca/BRINE_CA',
    );
  }
}

/** Node's certificate-verification error codes: a failure to trust, not to reach. */
export function isCertificateError(code: string | undefined): boolean {
  return (
    code !== undefined &&
    /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|ERR_CLI_TLS)/.test(
      code,
    )
  );
}

function normalise(fp: string): string {
  return fp.replace(/[^0-9a-f]/gi, '').toLowerCase();
}

/** An HTTPS agent whose connections trust exactly the certificate with this fingerprint. */
export function pinnedAgent(fingerprint: string): Agent {
  const agent = new Agent({ keepAlive: false });
  // Node's agent waits for the callback when createConnection returns nothing.
  agent.createConnection = pinnedConnection(fingerprint) as unknown as Agent['createConnection'];
  return agent;
}

/**
 * `createConnection` for an HTTPS agent that trusts exactly one certificate: the TLS handshake
 * completes, the peer's certificate is hashed and compared with the pin, and only then is the
 * socket handed to the request, so not one byte of the request (nor its token) reaches a server
 * whose certificate does not match. Chain and name checks give way to the pin, which is stricter:
 * it names the one certificate, as the minion does for the same master.
 */
export function pinnedConnection(
  fingerprint: string,
): (options: ConnectionOptions, done: (err: Error | null, socket?: Socket) => void) => undefined {
  const want = normalise(fingerprint);
  return (options, done) => {
    let settled = false;
    const finish = (err: Error | null, socket?: TLSSocket) => {
      if (settled) return;
      settled = true;
      done(err, socket);
    };
    const socket = connect({ ...options, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      const got = cert ? createHash('sha256').update(cert.raw).digest('hex') : '';
      if (got !== want) {
        const err = Object.assign(new Error('certificate does not match the pinned fingerprint'), {
          code: CliErrorCode.tlsPin,
        });
        socket.destroy();
        return finish(err);
      }
      finish(null, socket);
    });
    socket.once('error', (err) => finish(err));
    return undefined;
  };
}
