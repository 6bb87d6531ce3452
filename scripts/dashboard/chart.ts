// The pre-sync rounds as an inline SVG bar chart: each round's duration beside the
// messages it copied. The last one's duration is the final-sync estimate: a final sync
// copies what changed since, as a pre-sync does.
import { failedCount, type RoundSummary } from '../../workflows/status';
import { duration } from '../cli/format';
import { html, type Html } from './html';

const WIDTH = 560;
const HEIGHT = 170;
const TOP = 18;
const BOTTOM = 22;
const MAX_ROUNDS = 30;

export function presyncChart(rounds: RoundSummary[], estimateMs: number | undefined): Html {
  // The latest rounds: a migration that pre-syncs for weeks still fits.
  const presyncs = rounds.filter((r) => r.kind === 'presync').slice(-MAX_ROUNDS);
  if (!presyncs.length) return html`<p class="muted">No pre-sync round yet, so no final-sync estimate.</p>`;
  const slot = WIDTH / presyncs.length;
  const barWidth = Math.min(26, slot / 2 - 3);
  const maxMs = Math.max(1, ...presyncs.map((r) => r.durationMs));
  const maxCopied = Math.max(1, ...presyncs.map((r) => r.copied));
  const bar = (cls: string, x: number, share: number, label: string, title: string) => {
    const h = Math.max(1, (HEIGHT - TOP - BOTTOM) * share);
    const y = HEIGHT - BOTTOM - h;
    return html`<g class="${cls}"><title>${title}</title><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"></rect><text x="${(x + barWidth / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}">${label}</text></g>`;
  };
  const bars = presyncs.map((r, i) => {
    const centre = i * slot + slot / 2;
    return html`<g class="round">
      ${bar('duration', centre - barWidth - 1, r.durationMs / maxMs, duration(r.durationMs), `pre-sync ${i + 1} (${r.startedAt}): took ${duration(r.durationMs)}`)}
      ${bar('copied', centre + 1, r.copied / maxCopied, String(r.copied), `pre-sync ${i + 1} (${r.startedAt}): ${r.copied} messages copied, ${failedCount(r)} mailbox(es) failed`)}
      <text class="axis" x="${centre.toFixed(1)}" y="${HEIGHT - 6}">${i + 1}: ${r.startedAt.slice(5, 16).replace('T', ' ')}</text>
    </g>`;
  });
  return html`<figure class="chart">
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="pre-sync rounds: duration and messages copied">${bars}<line class="axis" x1="0" x2="${WIDTH}" y1="${HEIGHT - BOTTOM}" y2="${HEIGHT - BOTTOM}"></line></svg>
    <figcaption><span class="key duration"></span> duration <span class="key copied"></span> messages copied, per pre-sync round (UTC start).
    Final sync estimate: <strong class="estimate">${estimateMs !== undefined ? `about ${duration(estimateMs)}` : 'none yet'}</strong> (the last pre-sync's duration).</figcaption>
  </figure>`;
}
