/**
 * `GET /docs`: a self-contained API reference rendered on the server from the OpenAPI document — no
 * Swagger UI bundle, no CDN, no script (operators' networks are often offline and a CSP-friendly page is
 * easier to host). One section per tag; each operation shows its role, parameters and request schema.
 */
import { html, raw } from 'hono/html';
import type { OpenApiDocument } from './openapi-document.js';

interface OperationLike {
  summary: string;
  tags: string[];
  'x-edgefleet-role': string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#1d232b}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ccd;text-transform:capitalize}
.op{border:1px solid #dde;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:3.5rem;font-weight:700;text-transform:uppercase}
.get{color:#1b6e3a}.post{color:#8a4b00}code{font-size:.95em}.role{float:right;color:#556;font-size:.85em}
pre{background:#f5f6f8;padding:.6rem;overflow:auto;font-size:.8rem;max-height:24rem}`;

export function renderDocsPage(document: OpenApiDocument) {
  const byTag = new Map<string, { method: string; path: string; op: OperationLike }[]>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods as Record<string, OperationLike>)) {
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  }
  const sections = [...byTag].map(
    ([tag, ops]) => html`<section id="${tag}"><h2>${tag}</h2>
${ops.map(({ method, path, op }) => {
  const params = op.parameters ?? [];
  const bodies = Object.entries(op.requestBody?.content ?? {});
  return html`<div class="op" data-path="${path}" data-method="${method}">
<span class="role">role: ${op['x-edgefleet-role']}</span><span class="m ${method}">${method}</span> <code>${path}</code>
<div>${op.summary}</div>
${params.length === 0 ? '' : html`<div>parameters: ${params.map((p) => html`<code>${p.name}</code> (${p.in}) `)}</div>`}
${bodies.map(
  ([type, media]) =>
    html`<details><summary>request body: <code>${type}</code></summary><pre>${JSON.stringify(media.schema ?? {}, null, 2)}</pre></details>`,
)}
</div>`;
})}</section>`,
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${document.info.title} — API reference</title>
<style>${raw(STYLE)}</style></head>
<body><h1>${document.info.title} <small>API ${document.info.version}</small></h1>
<p>${document.info.description}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${document.openapi}). Errors are
<code>{ "error": { "code", "message", "details"? } }</code>.</p>
<nav>${[...byTag.keys()].map((t) => html`<a href="#${t}">${t}</a> · `)}</nav>
${sections}
</body></html>`;
}
