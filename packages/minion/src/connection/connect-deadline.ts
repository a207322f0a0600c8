import net, { isIP, type NetConnectOpts, type Socket } from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';

/** What ws hands its `createConnection`: the request's options (host, port, TLS settings). */
type DialOptions = ConnectionOptions;

/** Opens the TCP (and TLS) connection; node's `tls.connect` or `net.connect` by default. */
export type Dial = (options: DialOptions) => Socket;

/**
 * The TLS dial ws makes by default: no `path`, and SNI only for a host name. Through the module
 * objects, as ws does, so a probe preloaded into a swarm (bench/swarm-probe.mjs) still sees it.
 */
const dialTls: Dial = (options) =>
  tls.connect({
    ...options,
    path: undefined,
    servername: options.servername ?? (isIP(options.host ?? '') ? '' : options.host),
  } as ConnectionOptions);

const dialPlain: Dial = (options) => net.connect({ ...options, path: undefined } as NetConnectOpts);

/**
 * A `createConnection` for ws with a deadline on the TCP connect alone: a connect not established
 * within `connectTimeoutMs` is destroyed (a master that is down, or behind a partition). Once the
 * master has accepted the connection, only ws's `handshakeTimeout` (an idle timeout) applies, so a
 * minion waits out a master that holds it at accept while it works through a fleet's connects
 * (issue #15: a minion that gave up at 20 s went to the back of the line and waited again).
 */
export function dialWithDeadline(
  secure: boolean,
  connectTimeoutMs: number,
  dial: Dial = secure ? dialTls : dialPlain,
): Dial {
  return (options) => {
    const socket = dial(options);
    const timer = setTimeout(() => socket.destroy(new Error('TCP connect timed out')), connectTimeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    socket.once('connect', clear);
    socket.once('close', clear);
    return socket;
  };
}
