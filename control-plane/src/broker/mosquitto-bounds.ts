/**
 * The embedded broker's bounds written as Mosquitto 2.0 configuration, for external-broker mode: the same
 * packet cap (Mosquitto checks the announced length before reading the body) and connection cap. Mosquitto
 * has no CONNECT-size, per-address or per-device publish-rate setting; docs/security.md says what covers
 * those in front of it.
 */
import type { BrokerLimits } from './broker-limits.js';

export function mosquittoBoundsConfig(limits: BrokerLimits): string {
  return [
    '# edgefleet: broker bounds (match the embedded broker)',
    `max_packet_size ${limits.maxPacketBytes + 5}`, // Mosquitto counts the fixed header too
    `max_connections ${limits.maxConnections}`,
    '',
  ].join('\n');
}
