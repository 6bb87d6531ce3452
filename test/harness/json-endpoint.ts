// An operator's HTTP endpoint, for the tests of the `http` methods (access, provisioning,
// mail hold): a real server on loopback that keeps what it was posted and answers as the
// test says.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Posted<B> {
  headers: IncomingHttpHeaders;
  body: B;
}

/** What the endpoint answers: a status and a body (an object is sent as JSON). */
export type Answer = [status: number, body?: string | object];

export async function startJsonEndpoint<B>(urlPath: string, answer: (body: B, headers: IncomingHttpHeaders) => Answer) {
  const received: Posted<B>[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as B;
      received.push({ headers: req.headers, body });
      const [status, reply] = answer(body, req.headers);
      if (reply !== undefined && typeof reply !== 'string') res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      else res.writeHead(status).end(reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${urlPath}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
