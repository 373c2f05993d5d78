// session.js - the signed-in user's temporary credentials, kept in this tab's
// sessionStorage only. Sign-out and expiry both clear them; the reason is kept so the
// sign-in page can say why it is showing.

const KEY = 'catalogd.console.session';
const REASON = 'catalogd.console.reason';

/** The current session, or null. An expired one is cleared on the way. */
export function current() {
  let s = null;
  try {
    s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    s = null;
  }
  if (s && new Date(s.Credentials.Expiration).getTime() <= Date.now()) {
    end('expired');
    return null;
  }
  return s;
}

/** Keeps what POST /console/api/signin answered. */
export function begin(answer) {
  sessionStorage.setItem(KEY, JSON.stringify(answer));
  sessionStorage.removeItem(REASON);
}

/** Forgets the credentials; reason ('signedout' | 'expired') is shown on the sign-in page. */
export function end(reason) {
  sessionStorage.removeItem(KEY);
  if (reason) sessionStorage.setItem(REASON, reason);
}

/** Why the last session ended (once), or null. */
export function takeReason() {
  const r = sessionStorage.getItem(REASON);
  sessionStorage.removeItem(REASON);
  return r;
}

/** Milliseconds left in the session (0 when none). */
export function remaining() {
  const s = current();
  return s ? Math.max(0, new Date(s.Credentials.Expiration).getTime() - Date.now()) : 0;
}
