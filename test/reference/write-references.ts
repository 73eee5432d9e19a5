/** `pnpm docs:reference`: writes docs/reference/*.md from the code (see render-references.ts). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReferences } from './render-references.js';

const out = fileURLToPath(new URL('../../docs/reference/', import.meta.url));
await mkdir(out, { recursive: true });
for (const [file, content] of await renderReferences()) {
  await writeFile(join(out, file), content);
  console.log(`wrote docs/reference/${file}`);
}
process.exit(0);
