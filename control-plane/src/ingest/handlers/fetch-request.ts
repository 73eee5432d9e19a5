/**
 * `fetch/req` (device → cp): a window of chunk indices of one bundle. Only bundles assigned to the device
 * by its current desired document — or the global weights of a federated round it was offered — are served — anything else gets one `fetch-error` BUNDLE_UNKNOWN, so a
 * device cannot use the control plane to download arbitrary models. Indices past the end are ignored
 * (brief). Chunks go to the device's own `fetch/res`, QoS 1, not retained.
 */
import { chunkRange, deviceTopic, encodeCbor, fetchRequestSchema } from '@edgefleet/protocol';
import { defineHandler } from '../ingest-context.js';

export const fetchRequestHandler = defineHandler({
  kind: 'fetch/req',
  schema: fetchRequestSchema,
  async handle(context, deviceId, request) {
    const topic = deviceTopic(deviceId, 'fetch/res');
    const refuse = async (message: string) => {
      context.metrics.countRejection('BUNDLE_UNKNOWN');
      const reply = {
        v: 1,
        type: 'fetch-error',
        ts: context.now(),
        digest: request.digest,
        error: { code: 'BUNDLE_UNKNOWN', message },
      };
      await context.broker.publish(topic, encodeCbor(reply), { qos: 1, retain: false });
    };
    const manifest =
      (await context.desired.assignedManifest(deviceId, request.digest)) ??
      context.fl.servesBlob(deviceId, request.digest);
    if (manifest === undefined || manifest === null) {
      context.logger.warn({ deviceId, digest: request.digest }, 'fetch of a bundle not assigned to the device');
      return refuse('no bundle with that digest is assigned to this device');
    }
    const last = Math.min(request.first + request.count, manifest.chunks.length);
    let served = 0;
    for (let index = request.first; index < last; index++) {
      const bytes = await context.blobs.readRange(
        manifest.digest,
        chunkRange(index, manifest.chunkBytes, manifest.sizeBytes),
      );
      if (bytes === null) {
        context.logger.error({ deviceId, digest: manifest.digest }, 'bundle missing from blob store');
        return refuse('the bundle is missing from the blob store');
      }
      const chunk = { v: 1, type: 'fetch-chunk', ts: context.now(), digest: manifest.digest, index, bytes };
      await context.broker.publish(topic, encodeCbor(chunk), { qos: 1, retain: false });
      served++;
    }
    context.metrics.countChunksServed(deviceId, served);
  },
});
