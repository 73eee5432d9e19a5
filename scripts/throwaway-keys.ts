/**
 * `tsx scripts/throwaway-keys.ts <keys.json>`: a control-plane key file with fresh keys for checking a
 * release artifact (scripts/release-agent-arm64.sh, agent/scripts/arm64-check.sh), made when the file does
 * not exist; prints the root public key in hex, what `install-service --root-key` pins. The file has the
 * control plane's format (control-plane/src/keys/key-store.ts: each role's 32-byte Ed25519 seeds in hex),
 * so `pnpm release:agent --keys` signs with it. Only plain node:crypto: it runs on any machine with Node.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

// RFC 8410 §7: the PKCS#8 header of an Ed25519 private key, followed by its 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: tsx scripts/throwaway-keys.ts <keys.json>\n');
  process.exit(2);
}
if (!existsSync(file)) {
  const seed = () => randomBytes(32).toString('hex');
  writeFileSync(file, `${JSON.stringify({ root: [seed()], targets: [seed()], director: [seed()] })}\n`, {
    mode: 0o600,
  });
}
const { root } = JSON.parse(readFileSync(file, 'utf8')) as { root: string[] };
const privateKey = createPrivateKey({
  key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(root[0] as string, 'hex')]),
  format: 'der',
  type: 'pkcs8',
});
const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
process.stdout.write(`${spki.subarray(-32).toString('hex')}\n`);
