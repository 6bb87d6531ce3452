// Who may read the dashboard. Bound to a loopback address, only this machine reaches it:
// no login, but a request must name a loopback host (else a web page could point its own
// name at 127.0.0.1 and read the page: DNS rebinding). Bound to any other address, every
// request must carry the token of MAILSHIFT_DASHBOARD_TOKEN (never taken from argv,
// which other users see in `ps`): as `Authorization: Bearer`, or in the cookie that
// opening the page once with `?token=` sets.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

export const TOKEN_ENV = 'MAILSHIFT_DASHBOARD_TOKEN';
const MIN_TOKEN_CHARS = 16;
const COOKIE = 'mailshift_dashboard';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  return isIPv6(h) && /^(0{0,4}:){2,7}0{0,3}1$/.test(h);
}

/** Why the dashboard must not start on `host` with this token, if it must not. */
export function bindRefusal(host: string, token: string | undefined): string | undefined {
  if (token !== undefined && token.length < MIN_TOKEN_CHARS) return `${TOKEN_ENV} must be at least ${MIN_TOKEN_CHARS} characters long`;
  if (!isLoopback(host) && !token) {
    return (
      `refusing to serve the dashboard on ${host} without a token: anyone who reaches that address would read every migration. ` +
      `Set ${TOKEN_ENV} (at least ${MIN_TOKEN_CHARS} characters, from the environment only), or bind to 127.0.0.1.`
    );
  }
  return undefined;
}

const sameToken = (given: string, token: string) => timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(token).digest());

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export type Access =
  | { allowed: true }
  | { allowed: false; status: number; reason: string }
  /** The token came in the URL: set the cookie and load the page again without it (out of the address bar and history). */
  | { allowed: false; status: 303; location: string; setCookie: string };

export function checkAccess(req: IncomingMessage, url: URL, token: string | undefined): Access {
  if (!token) {
    // Only reachable on loopback (bindRefusal): the Host header must say so too.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    return isLoopback(host) ? { allowed: true } : { allowed: false, status: 403, reason: `the Host "${host}" is not a loopback name` };
  }
  const inUrl = url.searchParams.get('token');
  if (inUrl !== null && sameToken(inUrl, token)) {
    url.searchParams.delete('token');
    return {
      allowed: false,
      status: 303,
      location: url.pathname + url.search,
      setCookie: `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
    };
  }
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const given = bearer ?? cookieToken(req);
  if (given !== undefined && sameToken(given, token)) return { allowed: true };
  return {
    allowed: false,
    status: 401,
    reason: `this dashboard needs its token (${TOKEN_ENV}): open it once as /?token=<token>, or send Authorization: Bearer <token>`,
  };
}
