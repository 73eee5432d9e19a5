/**
 * MQTT topic-filter matching (MQTT 5 §4.7), for routing messages an MQTT.js client receives to the handler
 * of the filter they matched: `+` matches exactly one level, a trailing `#` the rest. The `$share/{group}/`
 * prefix of a shared subscription (MQTT 5 §4.8.2) is not part of the filter a message is matched against.
 */

/** The filter inside a shared subscription (`$share/g/a/+` → `a/+`); other filters unchanged. */
export function unshared(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}

export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // MQTT 5 §4.7.2: wildcards at the first level do not match topics starting with `$`.
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
