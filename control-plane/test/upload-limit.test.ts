/**
 * A model upload streamed without Content-Length (chunked) is cut off at the size limit: the control plane
 * answers 413 once the limit is passed and closes the request, so a client streaming 100 MiB gets no
 * further than the limit plus what the sockets buffer, and memory stays bounded.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from './helpers/control-plane-fixture.js';

const MiB = 1024 * 1024;

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** Streams up to `total` bytes as a chunked multipart upload; resolves with the status and bytes written. */
function streamUpload(f: Fixture, total: number): Promise<{ status: number; sent: number }> {
  const url = new URL('/v1/models/iris/versions', f.cp.httpUrl);
  let sent = 0;
  let status = 0;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${f.cp.adminToken}`,
          'content-type': 'multipart/form-data; boundary=edge',
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.resume();
      },
    );
    req.on('error', () => undefined); // the server closing mid-upload is the point
    req.on('close', () => resolve({ status, sent }));
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pump = () => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

describe('streamed upload limit', () => {
  it('answers 413 and closes a chunked upload once it passes the limit', async () => {
    fixture = await startFixture({ maxBundleBytes: MiB });
    const rssBefore = process.memoryUsage().rss;
    const { status, sent } = await streamUpload(fixture, 100 * MiB);
    expect(status).toBe(413);
    // Limit (1 MiB) + multipart allowance (1 MiB) + socket buffers on both ends; never the 100 MiB.
    expect(sent).toBeLessThan(16 * MiB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * MiB);
    // The control plane is fine and the next upload is judged on its own.
    expect((await fixture.registerIris()).status).toBe(201);
  });
});
