// A deterministic, realistic mailbox for the sync benchmark: 10,000 messages by default,
// most of them 2–20 KB, some 0.1–2 MB, a few ~10 MB (about 480 MB in all), in 14 folders
// (nested, non-ASCII, Outlook's "Sent Items"), with flags and custom keywords, some
// messages without Message-ID and some sharing one. Same seed, same bytes, every run.
// Generated lazily (one message at a time) so a large corpus is never all in memory.

export interface BenchMessage {
  /** Logical folder ("/" between levels, no namespace prefix). */
  folder: string;
  raw: Buffer;
  flags: string[];
  /** Epoch ms, whole seconds. */
  internalDate: number;
}

export interface BenchCorpusOptions {
  messages?: number;
  seed?: number;
}

export const BENCH_FOLDERS = [
  'INBOX',
  'Sent Items',
  'Drafts',
  'Trash',
  'Junk',
  'Archive',
  'Archive/2023',
  'Archive/2024',
  'Archive/2024/Été',
  'Projets',
  'Projets/日本語',
  'Lists/dev',
  'Lists/announce',
  'Reçus',
];
/** Share of the messages per folder (same order as BENCH_FOLDERS). */
const WEIGHTS = [30, 10, 1, 3, 3, 8, 10, 10, 3, 5, 3, 7, 4, 3];

/** Mulberry32: the same corpus on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we ' +
  'when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him ' +
  'into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get ' +
  'come made may part migration mailbox server folder message été naïve déjà Grüße'
).split(' ');

const FLAG_SETS = [
  [],
  ['\\Seen'],
  ['\\Seen'],
  ['\\Seen'],
  ['\\Seen', '\\Flagged'],
  ['\\Answered', '\\Seen'],
  ['\\Seen', '$Label1'],
  ['Project-X'],
  ['\\Seen', 'Project-X', '$Label2'],
  ['$Forwarded', '\\Seen'],
];

/** 1 MiB of pseudo-random base64 text the attachments are cut from (deterministic). */
function attachmentPool(rand: () => number): string {
  const bytes = Buffer.alloc(768 * 1024);
  for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  return bytes.toString('base64');
}

function pickSize(rand: () => number, index: number, total: number): number {
  // A few ~10 MB (1 in 700), some 0.1–2 MB (3 %), the rest 2–20 KB skewed small.
  if (index % 700 === 350) return 9_000_000 + Math.floor(rand() * 2_000_000);
  if (rand() < 0.045) return 100_000 + Math.floor(rand() ** 2 * 1_900_000);
  void total;
  return 2_000 + Math.floor(rand() ** 2 * 18_000);
}

function text(rand: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  let line: string[] = [];
  let len = 0;
  while (size < bytes) {
    const w = WORDS[Math.floor(rand() * WORDS.length)];
    line.push(w);
    len += w.length + 1;
    if (len > 68) {
      const l = line.join(' ');
      lines.push(l);
      size += Buffer.byteLength(l) + 2;
      line = [];
      len = 0;
    }
  }
  return lines.join('\r\n');
}

function wrap(b64: string): string {
  return b64.replace(/.{1,76}/g, '$&\r\n');
}

/** The corpus, one message at a time. */
export function* benchCorpus(options: BenchCorpusOptions = {}): Generator<BenchMessage> {
  const count = options.messages ?? 10_000;
  const rand = prng(options.seed ?? 20240615);
  const pool = attachmentPool(rand);
  const weightSum = WEIGHTS.reduce((a, b) => a + b, 0);
  const base = Date.UTC(2018, 0, 1);
  let previousId = '';
  for (let i = 0; i < count; i++) {
    let r = rand() * weightSum;
    let f = 0;
    while (r >= WEIGHTS[f]) r -= WEIGHTS[f++];
    const folder = BENCH_FOLDERS[f];
    const size = pickSize(rand, i, count);
    const date = Math.floor((base + rand() * 6 * 365 * 86400_000) / 1000) * 1000;
    const d = new Date(date).toUTCString();
    // 25 without Message-ID, 45 reusing the previous message's (resent, list duplicates).
    let messageId: string | undefined = `<bench-${i}.${Math.floor(rand() * 1e9)}@example.net>`;
    if (i % 400 === 17) messageId = undefined;
    else if (i % 222 === 5 && previousId) messageId = previousId;
    if (messageId) previousId = messageId;
    const boundary = `b-${i}`;
    const headers = [
      `Return-Path: <sender${i % 97}@example.net>`,
      `Received: from mx${i % 5}.example.net by mail.example.org with ESMTPS id ${i.toString(36)}; ${d}`,
      `From: Sender ${i % 97} <sender${i % 97}@example.net>`,
      'To: Bench User <bench@example.org>',
      `Subject: ${i % 13 === 0 ? '=?utf-8?q?R=C3=A9union_pr=C3=A9vue?= ' : ''}Message ${i} about ${WORDS[i % WORDS.length]}`,
      `Date: ${d}`,
      ...(messageId ? [`Message-ID: ${messageId}`] : []),
      'MIME-Version: 1.0',
    ];
    let body: string;
    if (size < 30_000) {
      headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
      body = text(rand, size - 600);
    } else {
      headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
      const attachment = Math.floor((size - 2000) * 0.74);
      let b64 = '';
      while (b64.length < attachment) {
        const start = Math.floor(rand() * (pool.length - 4096));
        b64 += pool.slice(start, start + Math.min(pool.length - start, attachment - b64.length));
      }
      body = [
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        text(rand, 800),
        `--${boundary}`,
        `Content-Type: application/octet-stream; name="file-${i}.bin"`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment; filename="file-${i}.bin"`,
        '',
        wrap(b64) + `--${boundary}--`,
      ].join('\r\n');
    }
    const raw = Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8');
    const flags = folder === 'Drafts' ? ['\\Draft', '\\Seen'] : FLAG_SETS[Math.floor(rand() * FLAG_SETS.length)];
    yield { folder, raw, flags, internalDate: date };
  }
}
