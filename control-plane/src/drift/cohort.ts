/**
 * Cohorts: the slices of the fleet whose drift windows are merged together. `all` is the whole fleet,
 * `group:<name>` the devices enrolled into a group, `tag:<name>` those carrying a tag. A device belongs to
 * `all`, its group and each of its tags, so one stored window can change the picture of several cohorts.
 */
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';

export type Cohort = { readonly kind: 'all' } | { readonly kind: 'group' | 'tag'; readonly name: string };

/** Same alphabets as enrolment (group: [a-z0-9-], tag: 1..64 chars). */
export const cohortSchema = z
  .string()
  .regex(/^(all|group:[a-z0-9][a-z0-9-]{0,62}|tag:.{1,64})$/s, 'cohort must be all, group:<name> or tag:<name>');

/** The cohort named by `text`, or BODY_INVALID. */
export function parseCohort(text: string): Cohort {
  const parsed = cohortSchema.safeParse(text);
  if (!parsed.success) {
    throw new ControlPlaneError('BODY_INVALID', `cohort ${JSON.stringify(text)}: use all, group:<name> or tag:<name>`, {
      details: { field: 'cohort' },
    });
  }
  const valid = parsed.data;
  if (valid === 'all') return { kind: 'all' };
  const colon = valid.indexOf(':');
  return { kind: valid.slice(0, colon) as 'group' | 'tag', name: valid.slice(colon + 1) };
}

export function cohortKey(cohort: Cohort): string {
  return cohort.kind === 'all' ? 'all' : `${cohort.kind}:${cohort.name}`;
}

export interface CohortMember {
  readonly group: string;
  readonly tags: readonly string[];
}

export function inCohort(cohort: Cohort, device: CohortMember): boolean {
  if (cohort.kind === 'all') return true;
  return cohort.kind === 'group' ? device.group === cohort.name : device.tags.includes(cohort.name);
}

/** Every cohort a device's windows count towards. */
export function cohortsOf(device: CohortMember): Cohort[] {
  return [
    { kind: 'all' },
    { kind: 'group', name: device.group },
    ...[...new Set(device.tags)].map((name) => ({ kind: 'tag' as const, name })),
  ];
}
