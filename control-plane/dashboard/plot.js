/**
 * Line plots as inline SVG generated here (no charting library): one or more series over a shared x axis,
 * min/max labels on both axes and an optional horizontal threshold line (e.g. PSI 0.1).
 */
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** series: [{ name, points: [{ x, y }] }]; options: { width, height, threshold, xLabel, yLabel, id } */
export function linePlot(series, options = {}) {
  const width = options.width ?? 640;
  const height = options.height ?? 220;
  const pad = { left: 48, right: 110, top: 12, bottom: 28 };
  const all = series.flatMap((s) => s.points);
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', id: options.id ?? '' });
  if (all.length === 0) {
    svg.append(el('text', { x: 20, y: height / 2 }, 'no data yet'));
    return svg;
  }
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y).concat(options.threshold === undefined ? [] : [options.threshold]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys) || 1];
  const sx = (x) => pad.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - pad.top - pad.bottom);
  svg.append(el('line', { x1: pad.left, y1: sy(y0), x2: width - pad.right, y2: sy(y0), stroke: '#999' }));
  svg.append(el('line', { x1: pad.left, y1: pad.top, x2: pad.left, y2: sy(y0), stroke: '#999' }));
  svg.append(el('text', { x: 4, y: sy(y1) + 4, 'font-size': 11 }, y1.toFixed(3)));
  svg.append(el('text', { x: 4, y: sy(y0), 'font-size': 11 }, y0.toFixed(3)));
  svg.append(el('text', { x: pad.left, y: height - 8, 'font-size': 11 }, options.xLabel?.(x0) ?? String(x0)));
  svg.append(
    el(
      'text',
      { x: width - pad.right, y: height - 8, 'font-size': 11, 'text-anchor': 'end' },
      options.xLabel?.(x1) ?? String(x1),
    ),
  );
  if (options.threshold !== undefined) {
    const y = sy(options.threshold);
    svg.append(
      el('line', { x1: pad.left, y1: y, x2: width - pad.right, y2: y, stroke: '#b3261e', 'stroke-dasharray': '4 3' }),
    );
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const points = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    svg.append(el('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2, 'data-series': s.name }));
    for (const p of s.points) svg.append(el('circle', { cx: sx(p.x), cy: sy(p.y), r: 2.5, fill: color }));
    svg.append(
      el('text', { x: width - pad.right + 8, y: pad.top + 14 * (i + 1), fill: color, 'font-size': 12 }, s.name),
    );
  });
  return svg;
}
