/**
 * Plan and job files for `rollouts create` and `fl rounds start`: YAML or JSON (JSON is YAML 1.2), checked
 * against the same zod schema the server uses, so a mistake is reported before any request with the field
 * path and the line and column it sits on (yaml's node ranges through a LineCounter) — `plan.yaml:7:5:
 * waves.1.percent: percentages must strictly increase`.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ControlPlaneError } from '../errors.js';

/** The deepest node of `path` that exists in the document, so a missing field points at its parent. */
function locate(doc: ReturnType<typeof parseDocument>, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true);
    if (isNode(node) && node.range !== undefined && node.range !== null) return node.range[0];
  }
  return undefined;
}

/** `raw`: the document as written (what is sent, so the server fills and records its own defaults). */
type Issue = z.core.$ZodIssue;

/**
 * A union failure ("Invalid input") says nothing useful; report instead the issues of the branch that came
 * closest (fewest issues), with their paths made absolute.
 */
function flatten(issue: Issue): Issue[] {
  // An unknown key is reported at its own line, not at the object holding it.
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ ...issue, path: [...issue.path, key] }));
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
  return closest.flatMap((inner) => flatten({ ...inner, path: [...issue.path, ...inner.path] }));
}

export function readInputFile<S extends z.ZodType>(file: string, schema: S): { raw: unknown; value: z.output<S> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ControlPlaneError('USAGE_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const at = lineCounter.linePos(syntax.pos[0]);
    throw new ControlPlaneError('USAGE_INVALID', `${file}:${at.line}:${at.col}: ${syntax.message.split('\n')[0]}`, {
      details: { file, line: at.line, column: at.col },
    });
  }
  const raw: unknown = doc.toJS();
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { raw, value: parsed.data };
  const issues = parsed.error.issues
    .flatMap(flatten)
    .slice(0, 5)
    .map((issue) => {
      const offset = locate(doc, issue.path);
      const at = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
      const field = issue.path.length === 0 ? '(root)' : issue.path.join('.');
      return { field, line: at.line, column: at.col, message: issue.message };
    });
  const lines = issues.map((i) => `${file}:${i.line}:${i.column}: ${i.field}: ${i.message}`);
  throw new ControlPlaneError('USAGE_INVALID', lines.join('\n') || file, { details: { file, issues } });
}
