import pg from 'pg';
import { Observable, share } from 'rxjs';

/** One notification from PostgreSQL. */
export interface PgNotification {
  channel: string;
  payload: string;
  /** The backend process of the session that sent it (a master can tell its own). */
  processId: number;
}

/** Options for {@link pgNotifications$}. */
export interface PgListenOptions {
  url: string;
  channels: readonly string[];
  /** Wait before connecting again after the connection is lost, in ms. @default 1000 */
  retryMs?: number;
  /** Told of each lost connection (it is made again after `retryMs`). */
  onError?: (err: Error) => void;
}

/**
 * The notifications on `channels`, on a dedicated connection (LISTEN holds it). Emits each
 * notification as it arrives; a lost connection is made again after `retryMs` and the channels
 * listened to again (notifications sent meanwhile are lost: a listener that must not miss any
 * rereads the store after a reconnect). Never errors; completes never; unsubscribing ends the
 * connection. Shared: one connection however many subscribers.
 */
export function pgNotifications$(options: PgListenOptions): Observable<PgNotification> {
  return new Observable<PgNotification>((subscriber) => {
    let client: pg.Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const connect = () => {
      const c = new pg.Client({ connectionString: options.url, application_name: 'brine-master-listen' });
      client = c;
      const lost = (err: Error) => {
        if (stopped || client !== c) return;
        client = undefined;
        options.onError?.(err);
        c.end().catch(() => {});
        timer = setTimeout(connect, options.retryMs ?? 1000);
      };
      c.on('error', lost);
      c.on('notification', (n) =>
        subscriber.next({ channel: n.channel, payload: n.payload ?? '', processId: n.processId }),
      );
      c.connect()
        .then(() => c.query(options.channels.map((ch) => `LISTEN ${pg.escapeIdentifier(ch)}`).join('; ')))
        .catch(lost);
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      void client?.end().catch(() => {});
    };
  }).pipe(share());
}
