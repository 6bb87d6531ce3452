// The ceiling of any IMAP copier on this machine, measured by bench:sync in the same run as
// mailshift and mbsync: a bare client that does nothing but copy. Per folder (largest
// first, on 4 connection pairs) it reads 50-message/4 MiB batches with UID FETCH (FLAGS
// INTERNALDATE BODY.PEEK[]) and stores each batch with one MULTIAPPEND of non-synchronising
// literals (RFC 7888 LITERAL+, so it never waits for the server between messages). No
// listing of host2, no identity, no state, no checks: what remains is the servers' own cost
// (host2 writes, fsyncs and renames one file per message) and the wire. With
// compressSource it reads host1 through COMPRESS=DEFLATE: what compression gains a client
// on a slow link (bench:sync --wan).
// Plain-text LOGIN on loopback only; not product code (mailshift copies with activities/imap).
import net from 'node:net';
import zlib from 'node:zlib';

interface Response {
  text: string;
  literals: Buffer[];
}

interface Pending {
  tag: string;
  untagged: Response[];
  resolve: (untagged: Response[]) => void;
  reject: (err: Error) => void;
}

/** One IMAP connection: commands one at a time, responses with their literals. */
class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private literalLeft = 0;
  private current?: Response;
  private pending?: Pending;
  private greeted?: () => void;
  private tags = 0;
  /** After COMPRESS DEFLATE: what is written goes through it, flushed at each command's end. */
  private deflate?: zlib.DeflateRaw;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('error', (err) => this.pending?.reject(err));
  }

  static async login(host: string, port: number, user: string, password: string, compress = false): Promise<Connection> {
    const c = new Connection(net.connect(port, host));
    await new Promise<void>((resolve, reject) => {
      c.greeted = resolve;
      c.socket.once('error', reject);
    });
    await c.run(`LOGIN ${quote(user)} ${quote(password)}`);
    if (compress) await c.compress();
    return c;
  }

  /** Sends a command (its parts after the text, e.g. literals) and resolves with its untagged responses. */
  run(text: string, parts: (string | Buffer)[] = []): Promise<Response[]> {
    const tag = `B${++this.tags}`;
    const out = this.deflate ?? this.socket;
    return new Promise((resolve, reject) => {
      this.pending = { tag, untagged: [], resolve, reject };
      out.write(`${tag} ${text}`);
      for (const p of parts) out.write(p);
      out.write('\r\n');
      this.deflate?.flush(zlib.constants.Z_SYNC_FLUSH);
    });
  }

  /** RFC 4978: from the tagged OK on, both directions are raw DEFLATE streams. */
  private async compress(): Promise<void> {
    await this.run('COMPRESS DEFLATE');
    const inflate = zlib.createInflateRaw();
    this.socket.removeAllListeners('data');
    this.socket.on('data', (d: Buffer) => inflate.write(d));
    inflate.on('data', (d: Buffer) => this.receive(d));
    this.deflate = zlib.createDeflateRaw();
    this.deflate.pipe(this.socket);
  }

  private receive(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    this.pump();
  }

  close(): void {
    if (this.deflate) this.deflate.end('Z LOGOUT\r\n');
    else this.socket.end('Z LOGOUT\r\n');
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }

  private pump(): void {
    for (;;) {
      if (this.literalLeft) {
        if (this.buffered < this.literalLeft) return;
        this.current!.literals.push(Buffer.from(this.take(this.literalLeft)));
        this.literalLeft = 0;
        continue;
      }
      if (!this.buffered) return;
      if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
      const end = this.chunks[0].indexOf('\r\n');
      if (end < 0) return;
      const line = this.take(end + 2).toString('latin1', 0, end);
      this.current ??= { text: '', literals: [] };
      this.current.text += line;
      const literal = /\{(\d+)\}$/.exec(line);
      if (literal) {
        this.literalLeft = Number(literal[1]);
        if (!this.literalLeft) this.current.literals.push(Buffer.alloc(0));
        continue;
      }
      const response = this.current;
      this.current = undefined;
      this.dispatch(response);
    }
  }

  private dispatch(response: Response): void {
    if (this.greeted) {
      this.greeted();
      this.greeted = undefined;
      return;
    }
    const p = this.pending;
    if (!p) return;
    if (response.text.startsWith('* ')) {
      p.untagged.push(response);
    } else if (response.text.startsWith(`${p.tag} `)) {
      this.pending = undefined;
      if (response.text.startsWith(`${p.tag} OK`)) p.resolve(p.untagged);
      else p.reject(new Error(`bare copy: ${response.text}`));
    }
  }
}

const quote = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;
const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);

export interface BareCopyOptions {
  host1: { host: string; port: number; user: string; password: string };
  host2: { host: string; port: number; user: string; password: string };
  /** host1's folder name → host2's. */
  mapFolder: (host1Name: string) => string;
  connections?: number;
  /** Read host1 with COMPRESS=DEFLATE (RFC 4978); it must offer it. */
  compressSource?: boolean;
}

/** Copies every selectable host1 folder into host2; returns what it copied. */
export async function bareCopy(o: BareCopyOptions): Promise<{ messages: number; bytes: number }> {
  const { host1, host2 } = o;
  const source = () => Connection.login(host1.host, host1.port, host1.user, host1.password, o.compressSource);
  const first = await source();
  const folders: { name: string; target: string; messages: number }[] = [];
  for (const r of await first.run('LIST "" "*"')) {
    const m = /^\* LIST \(([^)]*)\) (?:NIL|"(?:[^"\\]|\\.)*") (.*)$/.exec(r.text);
    if (!m || /\\Noselect|\\NonExistent/i.test(m[1])) continue;
    const name = r.literals[0]?.toString('latin1') ?? unquote(m[2]);
    const status = await first.run(`STATUS ${quote(name)} (MESSAGES)`);
    folders.push({ name, target: o.mapFolder(name), messages: Number(/MESSAGES (\d+)/.exec(status[0].text)![1]) });
  }
  folders.sort((a, b) => b.messages - a.messages);
  const firstTarget = await Connection.login(host2.host, host2.port, host2.user, host2.password);
  for (const f of folders) {
    // Special-use folders (Sent, Trash…) may be there already.
    if (f.target !== 'INBOX')
      await firstTarget.run(`CREATE ${quote(f.target)}`).catch((err: Error) => {
        if (!/ALREADYEXISTS/.test(err.message)) throw err;
      });
  }

  let next = 0;
  let messages = 0;
  let bytes = 0;
  const worker = async (index: number) => {
    const src = index ? await source() : first;
    const dst = index ? await Connection.login(host2.host, host2.port, host2.user, host2.password) : firstTarget;
    while (next < folders.length) {
      const folder = folders[next++];
      await src.run(`EXAMINE ${quote(folder.name)}`);
      const sizes = (await src.run('UID FETCH 1:* (UID RFC822.SIZE)')).map((r) => ({
        uid: Number(/UID (\d+)/.exec(r.text)![1]),
        size: Number(/RFC822\.SIZE (\d+)/.exec(r.text)![1]),
      }));
      const batches: number[][] = [];
      let batch: number[] = [];
      let batchBytes = 0;
      for (const { uid, size } of sizes) {
        if (batch.length && (batch.length >= 50 || batchBytes + size > 4 * 1024 * 1024)) {
          batches.push(batch);
          batch = [];
          batchBytes = 0;
        }
        batch.push(uid);
        batchBytes += size;
      }
      if (batch.length) batches.push(batch);
      const read = (uids: number[]) => src.run(`UID FETCH ${uids.join(',')} (UID FLAGS INTERNALDATE BODY.PEEK[])`);
      let reading = batches.length ? read(batches[0]) : undefined;
      for (let i = 0; i < batches.length; i++) {
        const fetched = await reading!;
        reading = i + 1 < batches.length ? read(batches[i + 1]) : undefined; // read ahead while host2 stores
        const parts: (string | Buffer)[] = [];
        for (const r of fetched) {
          const flags = /FLAGS \(([^)]*)\)/
            .exec(r.text)![1]
            .split(' ')
            .filter((f) => f && f !== '\\Recent');
          const date = /INTERNALDATE ("[^"]*")/.exec(r.text)![1];
          const body = r.literals[0];
          parts.push(` (${flags.join(' ')}) ${date} {${body.length}+}\r\n`, body);
          messages++;
          bytes += body.length;
        }
        if (parts.length) await dst.run(`APPEND ${quote(folder.target)}`, parts);
      }
    }
    src.close();
    dst.close();
  };
  await Promise.all(Array.from({ length: Math.min(o.connections ?? 4, Math.max(folders.length, 1)) }, (_, i) => worker(i)));
  return { messages, bytes };
}
