// A server that listens on two ports gets two different ones. The kernel may hand a port
// just released straight back, so two free-port picks in a row can be the same port: a
// Dovecot with IMAP and LMTP then failed with "duplicate listener" (seen once in CI).
// Here, in a network namespace of the test's own, the kernel has one port to hand out for
// a listener and hands it back every time. Linux gives listeners the ports of one parity in
// the ephemeral range (41001, 41003, …) and outgoing connections the other: reserving every
// listener port but 41001 leaves connections their ports.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const range = [41000, 41100];
const reserved = Array.from({ length: 49 }, (_, i) => 41003 + 2 * i).join(',');

it('a Dovecot with IMAP and LMTP starts on two different ports when the kernel hands the same port back', () => {
  const namespace = [
    'ip link set lo up',
    `echo "${range.join(' ')}" > /proc/sys/net/ipv4/ip_local_port_range`,
    `echo "${reserved}" > /proc/sys/net/ipv4/ip_local_reserved_ports`,
    'exec "$0" test/servers/ports-child.ts',
  ].join(' && ');
  const run = spawnSync('unshare', ['-n', 'sh', '-c', namespace, path.join(root, 'node_modules/.bin/tsx')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  const got = JSON.parse(run.stdout) as { twice: number[]; pair: number[]; imap: number; lmtp: number };
  // The namespace does what the test needs: one pick after another gets the same port.
  expect(got.twice).toEqual([41001, 41001]);
  expect(new Set(got.pair).size).toBe(2);
  expect(new Set([got.imap, got.lmtp]).size).toBe(2);
  expect([...got.pair, got.imap, got.lmtp].every((port) => port >= range[0] && port <= range[1])).toBe(true);
}, 90_000);
