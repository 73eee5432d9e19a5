/**
 * MQTT topic-filter matching (MQTT 5 §4.7), for routing messages an MQTT.js client receives to the handler
 * of the filter they matched: `+` matches exactly one level, a trailing `#` the rest. Routes are kept under
 * the plain filter: the `$share/{group}/` prefix (MQTT 5 §4.8.2) is not part of what a message matches.
 */

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
