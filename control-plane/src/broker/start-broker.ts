/**
 * Chooses the control plane's broker from the `broker` option (default embedded): the embedded aedes broker
 * listening for devices itself, or an external Mosquitto the control plane joins as a client. Both come back
 * as the same MessageBroker.
 */
import type { BrokerLimitsOption } from './broker-limits.js';
import { type EmbeddedBrokerOptions, startEmbeddedBroker } from './embedded-broker.js';
import { type ExternalBrokerOptions, startExternalBroker } from './external-broker.js';
import type { MessageBroker } from './message-broker.js';

export type BrokerOption =
  | { readonly kind: 'embedded'; readonly limits?: BrokerLimitsOption | undefined }
  | ({ readonly kind: 'external' } & ExternalBrokerOptions);

/** What the control plane hands its broker: the embedded broker's options, plus the external one's hook. */
export interface BrokerHooks extends EmbeddedBrokerOptions {
  /** External broker only: the connection came back (retained documents may need republishing). */
  onReconnect(): void;
}

export async function startBroker(option: BrokerOption, hooks: BrokerHooks): Promise<MessageBroker> {
  if (option.kind === 'external') {
    const { kind: _, ...external } = option;
    return startExternalBroker(external, {
      logger: hooks.logger,
      onDeviceSeen: hooks.onDeviceConnected,
      onReconnect: hooks.onReconnect,
    });
  }
  const embedded = await startEmbeddedBroker({ ...hooks, limits: option.limits });
  return {
    ...embedded,
    kind: 'embedded',
    port: embedded.port,
    deviceUrl: `mqtt://${hooks.host}:${embedded.port}`,
    // The embedded broker checks device passwords against the registry itself (verifyDevice).
    consume: (pattern, handler) => {
      embedded.consume(pattern, handler);
      return Promise.resolve();
    },
    registerDevice: () => Promise.resolve(),
    // The embedded broker asks the registry at every login, where the device is revoked already.
    revokeDevice: (deviceId) => {
      embedded.disconnect(deviceId);
      return Promise.resolve();
    },
  };
}
