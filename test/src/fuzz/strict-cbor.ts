/**
 * An independent CBOR oracle for the fuzzers (RFC 8949), written apart from the product's codec so the two
 * cannot share a bug: a tree form (`CborNode`) that can express what the product must refuse — invalid UTF-8
 * text, non-text or duplicate map keys, tags, odd simple values — an encoder for it, and a strict decoder
 * that says whether bytes are *valid* in edgefleet's profile: well-formed (§3), valid UTF-8 text (§3.1 major
 * type 3), no duplicate map keys (§5.6), and only what edgefleet sends: definite lengths, no tags, text map
 * keys, simple values false/true/null, nesting ≤ 16, at most 256 KiB.
 */

export type CborNode =
  | { readonly t: 'int'; readonly v: bigint }
  | { readonly t: 'bytes'; readonly v: Uint8Array }
  /** Raw bytes of the text: may be invalid UTF-8 on purpose. */
  | { readonly t: 'text'; readonly v: Uint8Array }
  | { readonly t: 'array'; readonly v: readonly CborNode[] }
  | { readonly t: 'map'; readonly v: ReadonlyArray<readonly [CborNode, CborNode]> }
  | { readonly t: 'simple'; readonly v: number }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'tag'; readonly tag: number; readonly v: CborNode };

export const PROFILE = Object.freeze({ maxDepth: 16, maxBytes: 256 * 1024 });

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The tree of a JS value as the product would encode it (for seeds and mutations). */
export function toNode(value: unknown): CborNode {
  if (value === null) return { t: 'simple', v: 22 };
  if (value === false) return { t: 'simple', v: 20 };
  if (value === true) return { t: 'simple', v: 21 };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { t: 'int', v: BigInt(value) } : { t: 'float', v: value };
  }
  if (typeof value === 'string') return { t: 'text', v: utf8.encode(value) };
  if (value instanceof Uint8Array) return { t: 'bytes', v: value };
  if (Array.isArray(value)) return { t: 'array', v: value.map(toNode) };
  if (typeof value === 'object') {
    return {
      t: 'map',
      v: Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [toNode(k), toNode(v)] as const),
    };
  }
  throw new TypeError(`no CBOR form for ${typeof value}`);
}

function head(major: number, n: bigint, out: number[]): void {
  const m = major << 5;
  if (n < 24n) out.push(m | Number(n));
  else if (n < 0x100n) out.push(m | 24, Number(n));
  else if (n < 0x10000n) out.push(m | 25, Number(n >> 8n), Number(n & 0xffn));
  else if (n < 0x100000000n) {
    out.push(m | 26);
    for (let s = 24n; s >= 0n; s -= 8n) out.push(Number((n >> s) & 0xffn));
  } else {
    out.push(m | 27);
    for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((n >> s) & 0xffn));
  }
}

function encodeInto(node: CborNode, out: number[]): void {
  switch (node.t) {
    case 'int':
      if (node.v >= 0n) head(0, node.v, out);
      else head(1, -1n - node.v, out);
      return;
    case 'bytes':
    case 'text':
      head(node.t === 'bytes' ? 2 : 3, BigInt(node.v.length), out);
      for (const b of node.v) out.push(b);
      return;
    case 'array':
      head(4, BigInt(node.v.length), out);
      for (const item of node.v) encodeInto(item, out);
      return;
    case 'map':
      head(5, BigInt(node.v.length), out);
      for (const [k, v] of node.v) {
        encodeInto(k, out);
        encodeInto(v, out);
      }
      return;
    case 'simple':
      if (node.v < 24) out.push(0xe0 | node.v);
      else out.push(0xf8, node.v);
      return;
    case 'float': {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, node.v);
      out.push(0xfb, ...new Uint8Array(view.buffer));
      return;
    }
    case 'tag':
      head(6, BigInt(node.tag), out);
      encodeInto(node.v, out);
      return;
  }
}

export function encodeNode(node: CborNode): Uint8Array {
  const out: number[] = [];
  encodeInto(node, out);
  return Uint8Array.from(out);
}

export type StrictResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly why: string };

class Invalid extends Error {}

/** Decodes `bytes` if and only if they are one valid item in edgefleet's CBOR profile. */
export function strictDecode(bytes: Uint8Array): StrictResult {
  if (bytes.length > PROFILE.maxBytes) return { ok: false, why: 'too large' };
  let offset = 0;
  const need = (n: number) => {
    if (n > bytes.length - offset) throw new Invalid(`truncated at ${offset}`);
  };
  const readArg = (info: number): number => {
    if (info < 24) return info;
    const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (size === undefined) throw new Invalid(`indefinite or reserved length ${info}`);
    need(size);
    let n = 0n;
    for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(bytes[offset++] as number);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) return Number.POSITIVE_INFINITY;
    return Number(n);
  };
  const item = (depth: number): unknown => {
    need(1);
    const initial = bytes[offset++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 6) throw new Invalid('tag');
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      const size = { 25: 2, 26: 4, 27: 8 }[info];
      if (size === undefined) throw new Invalid(`simple value ${info}`);
      need(size);
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size);
      offset += size;
      if (size === 8) return view.getFloat64(0);
      if (size === 4) return view.getFloat32(0);
      return halfToNumber(view.getUint16(0));
    }
    if (major === 0 || major === 1) {
      if (info >= 24 && info <= 27) {
        const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info] as number;
        need(size);
        let n = 0n;
        for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(bytes[offset++] as number);
        // JS numbers, as JSON would give them; schemas refuse unsafe integers (z.int()).
        return Number(major === 0 ? n : -1n - n);
      }
      if (info > 27) throw new Invalid(`reserved info ${info}`);
      return major === 0 ? info : -1 - info;
    }
    const n = readArg(info);
    if (major === 2 || major === 3) {
      need(n);
      const raw = bytes.slice(offset, offset + n);
      offset += n;
      if (major === 2) return raw;
      try {
        return strictUtf8.decode(raw);
      } catch {
        throw new Invalid('text is not valid UTF-8');
      }
    }
    if (depth + 1 > PROFILE.maxDepth) throw new Invalid('too deep');
    if (major === 4) {
      need(n);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(item(depth + 1));
      return out;
    }
    need(n * 2);
    const out: Record<string, unknown> = {};
    const keys = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = item(depth + 1);
      if (typeof key !== 'string') throw new Invalid('map key is not text');
      if (keys.has(key)) throw new Invalid(`duplicate map key ${key}`);
      if (key === '__proto__') throw new Invalid('map key __proto__');
      keys.add(key);
      out[key] = item(depth + 1);
    }
    return out;
  };
  try {
    const value = item(0);
    if (offset !== bytes.length) return { ok: false, why: 'trailing bytes' };
    return { ok: true, value };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, why: error.message };
    throw error;
  }
}

/** IEEE 754 binary16 (RFC 8949 Appendix D). */
function halfToNumber(half: number): number {
  const exp = (half >> 10) & 0x1f;
  const mant = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (mant + 1024) * 2 ** (exp - 25);
}
