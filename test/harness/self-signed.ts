// A self-signed certificate for localhost and 127.0.0.1, made with openssl in `dir`, for
// the tests of TLS clients (refused unless told to trust it).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function selfSignedCert(dir: string): { key: Buffer; cert: Buffer; certFile: string } {
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=localhost'];
  execFileSync('openssl', [...args, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' });
  const certFile = path.join(dir, 'cert.pem');
  return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(certFile), certFile };
}
