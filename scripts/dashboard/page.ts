// The dashboard's page: its frame (styles, and a script that fetches the content again
// every few seconds, so the page can be left open) and the content, every running
// migration as its status shows it. A content security policy with a nonce lets only
// this page's own script and styles run: a second line behind the escaping (html.ts).
import { html, Html } from './html';
import { migrationSection } from './migration';
import type { MigrationView } from './migrations';

export const REFRESH_MS = 3_000;

export const contentSecurityPolicy = (nonce: string) =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function dashboardContent(migrations: MigrationView[], now: Date, uiLink: (workflowId: string) => string): Html {
  return html`<p class="muted asof">Read from Temporal at ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}: ${migrations.length} running migration(s).</p>
    ${migrations.length ? migrations.map((m) => migrationSection(m, now, uiLink)) : html`<p class="empty">No migration is running.</p>`}`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #1d2330; background: #f6f7f9; }
header { display: flex; gap: 1rem; align-items: baseline; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.15rem; margin: 0 0 .5rem; } h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.migration { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 1rem 1.25rem; margin: 1rem 0; }
.muted { color: #667085; font-weight: normal; font-size: .9em; } a.muted { text-decoration: none; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; } dt { color: #667085; } dd { margin: 0; }
code.approve { background: #1d2330; color: #e8f0ff; padding: .15rem .4rem; border-radius: 4px; margin-left: .5rem; }
.badge { border-radius: 4px; padding: 0 .35rem; font-size: .85em; } .warn { background: #fff1c2; }
.alert { padding: .5rem .75rem; border-radius: 4px; } .failure, .conflict { background: #fde8e8; border: 1px solid #f0b4b4; }
.columns { display: grid; grid-template-columns: minmax(18rem, 1fr) minmax(20rem, 1.4fr); gap: 1.5rem; }
.timeline { margin: 0; padding-left: 1.6rem; } .timeline li { padding: .1rem 0; }
.timeline .done { color: #667085; } .timeline .done::marker { content: '✓ '; color: #2e7d32; }
.timeline .current { font-weight: 600; background: #e6efff; border-radius: 4px; padding-left: .3rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #eceef2; vertical-align: top; }
th { color: #667085; font-weight: normal; } td.num, th.num { text-align: right; } td.mailbox { font-family: ui-monospace, monospace; }
tr.failed td { background: #fde8e8; } tr.failed td.error { color: #b42318; } .bad { color: #b42318; } tr.changed td { background: #fff8e1; }
.audit { font-family: ui-monospace, monospace; font-size: 12px; max-height: 18rem; overflow: auto; background: #fafbfc; border: 1px solid #eceef2; padding: .5rem .5rem .5rem 3rem; white-space: pre-wrap; }
.audit li.refused, .audit li.step-failed, .audit li.notice-failed { color: #b42318; }
.chart { margin: 0; } .chart svg { width: 100%; max-width: 560px; height: auto; }
.chart text { font-size: 10px; text-anchor: middle; fill: #475467; } .chart line.axis { stroke: #98a2b3; }
.duration rect, .key.duration { fill: #5b8def; background: #5b8def; } .copied rect, .key.copied { fill: #f5a524; background: #f5a524; }
.key { display: inline-block; width: .8em; height: .8em; border-radius: 2px; }
#refresh-error { color: #b42318; }
`;

/** The whole page; `content` is dashboardContent's. */
export function dashboardPage(content: Html, nonce: string): string {
  const script = `
const main = document.querySelector('main');
const error = document.getElementById('refresh-error');
setInterval(async () => {
  try {
    const res = await fetch('content', { cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) throw new Error((await res.text()) || 'HTTP ' + res.status);
    main.innerHTML = await res.text();
    error.textContent = '';
  } catch (err) {
    error.textContent = 'not refreshed: ' + err.message;
  }
}, ${REFRESH_MS});`;
  return `<!doctype html>\n${
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailshift migrations</title><style nonce="${nonce}">${new Html(STYLE)}</style></head>
<body><header><h1>mailshift migrations</h1><span class="muted">read-only; refreshes every ${REFRESH_MS / 1000} s</span><span id="refresh-error"></span></header>
<main>${content}</main>
<script nonce="${nonce}">${new Html(script)}</script></body></html>`.text
  }`;
}
