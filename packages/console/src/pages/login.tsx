import { useState } from 'preact/hooks';
import { login, type Api } from '../api.js';
import { ThemeToggle } from '../theme.js';
import { messageOf } from '../use.js';

/** The login form: a configured user's name and password, checked by `POST /api/v1/login`. */
export function LoginPage({ onLogin }: { onLogin: (api: Api) => Promise<void> }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError('');
    try {
      await onLogin(await login(String(form.get('username')), String(form.get('password'))));
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Brine console</h1>
        <label>
          User
          <input name="username" autocomplete="username" required autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <p role="alert" class="error">
          {error}
        </p>
        <ThemeToggle />
      </form>
    </main>
  );
}
