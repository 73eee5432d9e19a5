/**
 * Small dependency-free SVG line charts for the HTML report: a numeric x axis (virtual minutes), one
 * polyline per series with a legend, axis ticks, and optional vertical markers (gate decisions). Output is
 * a pure function of the data, so the HTML report is as deterministic as the JSON.
 */

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number | null])[];
}

export interface Marker {
  readonly x: number;
  readonly label: string;
}

const W = 720;
const H = 260;
const PAD = { left: 52, right: 16, top: 16, bottom: 56 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(3)));
}

export function lineChart(options: {
  id: string;
  title: string;
  yLabel: string;
  series: readonly Series[];
  markers?: readonly Marker[];
}): string {
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.flatMap((p) => (p[1] === null ? [] : [p[1]])));
  const xMin = Math.min(...xs, 0);
  const xMax = Math.max(...xs, 1);
  const top = Math.max(...ys, 0);
  const yMax = top > 0 ? top * 1.05 : 1;
  const x = (v: number) => PAD.left + ((v - xMin) / (xMax - xMin || 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(v)}</text>`,
    );
    const xv = xMin + ((xMax - xMin) * i) / 4;
    parts.push(
      `<text x="${x(xv).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${fmt(Math.round(xv))}</text>`,
    );
  }
  parts.push(
    `<text x="${(W / 2).toFixed(0)}" y="${H - PAD.bottom + 32}" text-anchor="middle" font-size="11">virtual minutes</text>`,
    `<text x="12" y="${(H / 2).toFixed(0)}" transform="rotate(-90 12 ${(H / 2).toFixed(0)})" text-anchor="middle" font-size="11">${escapeXml(options.yLabel)}</text>`,
  );
  for (const marker of options.markers ?? []) {
    parts.push(
      `<line class="marker" x1="${x(marker.x).toFixed(1)}" x2="${x(marker.x).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#999" stroke-dasharray="4 3"><title>${escapeXml(marker.label)}</title></line>`,
    );
  }
  for (const [i, series] of options.series.entries()) {
    const colour = COLOURS[i % COLOURS.length];
    const points = series.points
      .filter((p): p is readonly [number, number] => p[1] !== null)
      .map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<polyline class="series" data-series="${escapeXml(series.name)}" data-points="${series.points.length}" fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`,
      `<rect x="${PAD.left + (i % 4) * 170}" y="${H - 14 - Math.floor(i / 4) * 14}" width="10" height="10" fill="${colour}"/>`,
      `<text x="${PAD.left + (i % 4) * 170 + 14}" y="${H - 5 - Math.floor(i / 4) * 14}" font-size="11">${escapeXml(series.name)}</text>`,
    );
  }
  return `<figure><figcaption>${escapeXml(options.title)}</figcaption><svg id="${options.id}" viewBox="0 0 ${W} ${H + 14 * Math.floor(options.series.length / 5)}" width="${W}" role="img" aria-label="${escapeXml(options.title)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg></figure>`;
}
