import type { Logger } from 'pino';
import { filter, type Subscription } from 'rxjs';
import { KEYS_CHANNEL } from '../keys/pg-key-records.js';
import type { KeyStore } from '../keys/key-store.js';
import { pgNotifications$ } from './pg-listener.js';

/**
 * Follows key changes other masters make in the shared database: each notification on
 * {@link KEYS_CHANNEL} rereads that id, so a key rejected or deleted on one master closes the
 * minion's connection on the master that holds it, at once rather than at its next handshake.
 * After a lost connection, every key is reread (notifications sent meanwhile are lost).
 * Unsubscribe to stop.
 */
export function followSharedKeys(url: string, keys: Pick<KeyStore, 'refresh'>, log: Logger): Subscription {
  let lost = false;
  return pgNotifications$({
    url,
    channels: [KEYS_CHANNEL],
    onError: (err) => {
      lost = true;
      log.warn({ err: err.message }, 'lost the key-change listener; reconnecting');
    },
  })
    .pipe(filter((n) => n.channel === KEYS_CHANNEL))
    .subscribe((n) => {
      try {
        if (lost) {
          lost = false;
          keys.refresh();
        } else keys.refresh(n.payload);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not reread a shared key');
      }
    });
}
