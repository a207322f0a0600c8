import { useRef, useState } from 'preact/hooks';
import type { KeyEntry } from '../api.js';
import type { Session } from '../app.js';
import { messageOf, useLoad } from '../use.js';

type Action = 'accept' | 'reject' | 'delete';
const STATES = ['pending', 'accepted', 'rejected', 'denied'] as const;
/** What each key state offers (salt-key's verbs). */
const ACTIONS: Record<string, Action[]> = {
  pending: ['accept', 'reject', 'delete'],
  accepted: ['reject', 'delete'],
  rejected: ['accept', 'delete'],
  denied: ['delete'],
};

/**
 * Minion keys by state with their fingerprints; each action asks for a confirmation that shows
 * the fingerprint, so an operator compares it with the one the minion printed before trusting it.
 */
export function KeysPage({ s }: { s: Session }) {
  const [keys, reload] = useLoad(() => s.api.keys(), [s]);
  const [pending, setPending] = useState<{ key: KeyEntry; action: Action } | undefined>();
  const [status, setStatus] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  const ask = (key: KeyEntry, action: Action) => {
    setPending({ key, action });
    dialog.current?.showModal();
  };
  const confirm = async () => {
    dialog.current?.close();
    if (!pending) return;
    try {
      // A minion id holds no glob character (protocol's MINION_ID), so the id names one key.
      const ids = await s.api.keyAction(pending.key.id, pending.action);
      setStatus(`${pending.action}: ${ids.join(', ') || 'nothing changed'}`);
    } catch (err) {
      setStatus(messageOf(err));
    }
    setPending(undefined);
    reload();
  };
  const list = keys.state === 'ok' ? keys.value : [];
  return (
    <section class="page" aria-labelledby="keys-title">
      <h1 id="keys-title">Keys</h1>
      <p role="status" data-testid="keys-status">
        {status}
      </p>
      {keys.state === 'error' && <p role="alert">{keys.error}</p>}
      <button type="button" onClick={reload}>
        Refresh
      </button>
      {STATES.map((state) => {
        const here = list.filter((k) => k.state === state);
        return (
          <section key={state} aria-labelledby={`keys-${state}`}>
            <h2 id={`keys-${state}`}>
              {state[0]!.toUpperCase() + state.slice(1)} <span class="count">{here.length}</span>
            </h2>
            {here.length > 0 && (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Minion</th>
                    <th scope="col">Fingerprint</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {here.map((k) => (
                    <tr key={k.id} data-key={k.id}>
                      <td>{k.id}</td>
                      <td class="mono">{k.fingerprint}</td>
                      <td>
                        {ACTIONS[state]!.map((a) => (
                          <button type="button" key={a} onClick={() => ask(k, a)} aria-label={`${a} ${k.id}`}>
                            {a}
                          </button>
                        ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
      <dialog ref={dialog} aria-labelledby="confirm-title" onClose={() => setPending(undefined)}>
        {pending && (
          <form method="dialog" onSubmit={(e) => e.preventDefault()}>
            <h2 id="confirm-title">
              {pending.action[0]!.toUpperCase() + pending.action.slice(1)} the key of {pending.key.id}?
            </h2>
            <p>Compare this fingerprint with the minion's own before you trust it:</p>
            <p class="mono fingerprint" data-testid="confirm-fingerprint">
              {pending.key.fingerprint}
            </p>
            <div class="row">
              <button type="button" class="danger" onClick={confirm}>
                {pending.action}
              </button>
              <button type="button" onClick={() => dialog.current?.close()}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </dialog>
    </section>
  );
}
