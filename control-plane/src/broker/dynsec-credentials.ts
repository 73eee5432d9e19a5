/**
 * Device credentials and ACLs in Mosquitto's dynamic security, derived from the pure ACL (acl.ts) so the
 * external broker enforces exactly the embedded broker's policy. Mosquitto 2.0.11 (Debian 12) has no `%u`
 * substitution in dynamic-security ACLs, so every device gets a role of its own granting exactly its topics:
 * publish its device → cp topics, subscribe its cp → device topics (literal names), and the same for its
 * gateway sub-tree with one `+` for the child. Everything else falls to the plugin's default ACL access,
 * which deny-publishes and deny-subscribes. The control plane's own account gets a role for the fleet's
 * topics and its shared subscriptions.
 */

import { ControlPlaneError } from '../errors.js';
import { deviceGrants } from './acl.js';
import type { DynsecClient, DynsecCommand } from './dynsec-client.js';

export const SHARE_GROUP = 'edgefleet-cp';
const CONTROL_PLANE_ROLE = 'edgefleet-control-plane';

const roleOf = (deviceId: string) => `edgefleet-device-${deviceId}`;

interface Acl {
  readonly acltype: 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern';
  readonly topic: string;
}

function acls(deviceId: string): Acl[] {
  const g = deviceGrants(deviceId);
  return [
    ...g.publish.map((topic) => ({ acltype: 'publishClientSend' as const, topic })),
    ...g.subscribe.map((topic) => ({ acltype: 'subscribeLiteral' as const, topic })),
    ...g.bridgePublish.map((topic) => ({ acltype: 'publishClientSend' as const, topic })),
    ...g.bridgeSubscribe.map((topic) => ({ acltype: 'subscribePattern' as const, topic })),
  ];
}

const allowAll = (list: readonly Acl[]) => list.map((acl) => ({ ...acl, priority: 0, allow: true }));

/** True when the plugin refused because the object exists already (a second replica, a restart). */
function exists(error: unknown): boolean {
  return error instanceof ControlPlaneError && error.code === 'BROKER_REFUSED' && /already/i.test(error.message);
}

async function idempotent(dynsec: DynsecClient, command: DynsecCommand): Promise<void> {
  try {
    await dynsec.send(command);
  } catch (error) {
    if (!exists(error)) throw error;
  }
}

/** Creates (or, for a re-enrolled id, replaces the password of) the device's client and its role. */
export async function registerDeviceCredentials(
  dynsec: DynsecClient,
  device: { deviceId: string; password: string },
): Promise<void> {
  const rolename = roleOf(device.deviceId);
  await idempotent(dynsec, { command: 'createRole', rolename, acls: allowAll(acls(device.deviceId)) });
  try {
    await dynsec.send({
      command: 'createClient',
      username: device.deviceId,
      clientid: device.deviceId,
      password: device.password,
      roles: [{ rolename }],
    });
  } catch (error) {
    if (!exists(error)) throw error;
    await dynsec.send({ command: 'setClientPassword', username: device.deviceId, password: device.password });
    await idempotent(dynsec, { command: 'addClientRole', username: device.deviceId, rolename });
  }
}

/** Deletes the device's client and role; the plugin disconnects a client it deletes. Idempotent. */
export async function removeDeviceCredentials(dynsec: DynsecClient, deviceId: string): Promise<void> {
  for (const command of [
    { command: 'deleteClient', username: deviceId },
    { command: 'deleteRole', rolename: roleOf(deviceId) },
  ] as const) {
    try {
      await dynsec.send(command);
    } catch (error) {
      if (!(error instanceof ControlPlaneError && /not found/i.test(error.message))) throw error;
    }
  }
}

async function hasRole(dynsec: DynsecClient, username: string, rolename: string): Promise<boolean> {
  const data = (await dynsec.send({ command: 'getClient', username })) as {
    client?: { roles?: { rolename?: string }[] };
  };
  return (data?.client?.roles ?? []).some((r) => r.rolename === rolename);
}

/**
 * Grants the control plane's own account the fleet: publish to and subscribe to every edgefleet topic,
 * including its shared subscriptions. Idempotent, so every replica runs it at start. Changing a client's
 * roles makes the plugin disconnect that client (its kick list), so adding the role to ourselves costs one
 * reconnect and may lose the command's answer: `reconnected()` resolves on the next CONNACK, then the role
 * is checked again.
 */
export async function grantControlPlane(
  dynsec: DynsecClient,
  options: { username: string; reconnected(): Promise<void> },
): Promise<void> {
  const { username } = options;
  if (await hasRole(dynsec, username, CONTROL_PLANE_ROLE)) return;
  const list: Acl[] = [
    { acltype: 'publishClientSend', topic: 'ef/v1/#' },
    { acltype: 'publishClientReceive', topic: 'ef/v1/#' },
    { acltype: 'subscribePattern', topic: 'ef/v1/#' },
    { acltype: 'subscribePattern', topic: `$share/${SHARE_GROUP}/ef/v1/#` },
  ];
  await idempotent(dynsec, { command: 'createRole', rolename: CONTROL_PLANE_ROLE, acls: allowAll(list) });
  const kicked = options.reconnected();
  const answered = idempotent(dynsec, { command: 'addClientRole', username, rolename: CONTROL_PLANE_ROLE });
  // The answer is usually lost to the kick; whichever comes first, the check below decides.
  await Promise.race([kicked, answered]).catch(() => undefined);
  if (!(await hasRole(dynsec, username, CONTROL_PLANE_ROLE))) {
    throw new ControlPlaneError('BROKER_REFUSED', `could not grant ${username} the ${CONTROL_PLANE_ROLE} role`);
  }
}
