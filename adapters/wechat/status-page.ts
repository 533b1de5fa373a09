import type { WechatStatusSnapshot } from './login-status.js';
import { qrSvg } from './qr-code.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The QR code as SVG, or its content as text when it does not fit in a QR code. */
function svgOrText(payload: string): string {
  try {
    return qrSvg(payload);
  } catch {
    return `<pre>${escapeHtml(payload)}</pre>`;
  }
}

const STATE_TEXT: Record<WechatStatusSnapshot['state'], string> = {
  stopped: 'stopped',
  starting: 'starting…',
  'waiting-for-scan': 'waiting for the login QR code to be scanned',
  scanned: 'scanned — confirm the login on the phone',
  'logged-in': 'logged in',
  'logged-out': 'logged out — replies wait until the bot logs in again',
};

/**
 * The `/wechat` page: the session's state, the login QR code while WeChat waits for a scan
 * (only with the status token), and recent events. Static HTML that reloads itself every few
 * seconds: no script, so the page's CSP can forbid all of them.
 */
export function renderStatusPage(status: WechatStatusSnapshot, options: { authorized: boolean; refreshSeconds: number }): string {
  const { authorized } = options;
  const waiting = status.state === 'waiting-for-scan';
  let qr = '';
  if (waiting && status.qrcode) {
    qr = `<figure>${svgOrText(status.qrcode)}<figcaption>Scan with the WeChat app of the bot's account (Me → the scan icon, or Discover → Scan), then confirm on the phone.</figcaption></figure>`;
  } else if (waiting && !authorized) {
    qr = '<p class="note">The login QR code is shown with the status token only: open the link printed in the server\'s terminal (<code>/wechat?token=…</code>), or scan the code printed there.</p>';
  } else if (waiting) {
    qr = '<p class="note">The puppet has not sent a QR code yet.</p>';
  }
  const user = status.user ? `<p>Account: <strong>${escapeHtml(status.user.name)}</strong> <code>wechat:${escapeHtml(status.user.id)}</code></p>` : '';
  const events = status.events.map((e) => `<tr><td>${escapeHtml(e.at)}</td><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.message)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${options.refreshSeconds}">
<title>Skadi · WeChat</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
.state{display:inline-block;padding:.1rem .6rem;border-radius:1rem;background:#eee}.state.logged-in{background:#d7f5dd}.state.logged-out{background:#fde2e2}
figure{margin:1rem 0}svg{border:1px solid #ddd}.note{color:#555}table{border-collapse:collapse;width:100%;font-size:13px}td{border-top:1px solid #eee;padding:.2rem .4rem;vertical-align:top}</style>
</head><body>
<h1>WeChat</h1>
<p>Session: <span class="state ${status.state}">${escapeHtml(STATE_TEXT[status.state])}</span> since ${escapeHtml(status.since)}</p>
${user}${qr}
<h2>Recent events</h2>
<table>${events || '<tr><td>none yet</td></tr>'}</table>
<p class="note">JSON: <code>/wechat/status</code>. This page reloads every ${options.refreshSeconds} s.</p>
</body></html>`;
}
