import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { OrgApi } from '../org/types';
import { findUser, type ConnectedAppConfig } from '../http/auth';
import type { OmniSimulator } from '../omni/omni';
import { generateSelfSignedCertificate } from './certificate';

const devName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'a DeveloperName: letters, digits, underscores');
const username = z.string().regex(/^[^@\s]+@[^@\s]+$/, 'a username in email form');

const userSchema = z
  .object({
    username,
    firstName: z.string().min(1).max(40).optional(),
    lastName: z.string().min(1).max(80),
    email: z.string().email().optional(),
    alias: z.string().min(1).max(8).optional(),
  })
  .strict();

const connectedAppSchema = z
  .object({
    clientId: z.string().min(1).max(255),
    label: z.string().optional(),
    /** X.509 certificate for the JWT bearer flow. Null: one is generated at start (key via the admin API). */
    certificatePem: z.string().nullable().optional(),
    clientSecret: z.string().min(8).optional(),
    runAsUsername: username.optional(),
    preAuthorizedUsernames: z.array(username).default([]),
  })
  .strict();

const agentSchema = userSchema
  .extend({
    capacity: z.number().int().min(1).max(100).default(3),
    online: z.boolean().default(true),
    /** Skill DeveloperName → level (Omni levels run 1–10). */
    skills: z.record(devName, z.number().min(0).max(10)).default({}),
  })
  .strict();

/** The seed document (`config/emulator-seed.json`, admin `POST /__emulator/seed`). */
export const seedSchema = z
  .object({
    users: z.array(userSchema).default([]),
    connectedApps: z.array(connectedAppSchema).default([]),
    skills: z.array(z.object({ developerName: devName, label: z.string().min(1) }).strict()).default([]),
    serviceChannels: z
      .array(
        z
          .object({ developerName: devName, label: z.string().min(1), relatedEntity: z.string().min(1) })
          .strict(),
      )
      .default([]),
    routingConfigs: z
      .array(
        z
          .object({
            developerName: devName,
            label: z.string().min(1),
            routingModel: z
              .enum(['MostAvailable', 'LeastActive', 'ExternalRouting'])
              .default('MostAvailable'),
            routingPriority: z.number().int().min(0).default(1),
            capacityWeight: z.number().min(0).default(1),
            dropAdditionalSkillsTimeout: z.number().int().min(0).optional(),
            pushTimeout: z.number().int().min(0).optional(),
          })
          .strict(),
      )
      .default([]),
    queues: z
      .array(
        z
          .object({
            developerName: devName,
            name: z.string().min(1),
            routingConfig: devName.optional(),
            sobjectTypes: z.array(z.string()).default(['Case']),
            members: z.array(username).default([]),
          })
          .strict(),
      )
      .default([]),
    agents: z.array(agentSchema).default([]),
    /** Any other records (e.g. Person Accounts), created in order. */
    records: z
      .array(
        z
          .object({
            sobject: z.string().min(1),
            /** RecordType DeveloperName (e.g. PersonAccount): sets RecordTypeId. */
            recordType: devName.optional(),
            fields: z.record(z.string(), z.unknown()),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type SeedInput = z.input<typeof seedSchema>;
export type Seed = z.output<typeof seedSchema>;

export interface SeedResult {
  apps: ConnectedAppConfig[];
  /** Private keys generated for apps that named no certificate (clientId → PKCS#8 PEM). */
  generatedKeys: Record<string, string>;
  usernames: string[];
  ids: {
    users: Record<string, string>;
    skills: Record<string, string>;
    queues: Record<string, string>;
    serviceChannels: Record<string, string>;
    routingConfigs: Record<string, string>;
  };
  recordIds: string[];
}

export function parseSeed(input: unknown): Seed {
  return seedSchema.parse(input);
}

export function readSeedFile(path: string): Seed {
  return parseSeed(JSON.parse(readFileSync(path, 'utf8')) as unknown);
}

/** Creates a record with only the fields the schema knows (setup objects differ between schemas). */
function createKnown(org: OrgApi, sobject: string, fields: Record<string, unknown>): string {
  const known = new Set(org.describe(sobject).fields.map((f) => f.name));
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (known.has(k) && v !== undefined) kept[k] = v;
  return org.create(sobject, kept, { autoAssign: false }).id;
}

function userFields(u: z.output<typeof userSchema>): Record<string, unknown> {
  const alias = u.alias ?? (u.firstName ? u.firstName.charAt(0) : '') + u.lastName.slice(0, 7);
  return {
    Username: u.username,
    FirstName: u.firstName,
    LastName: u.lastName,
    Email: u.email ?? u.username,
    Alias: alias.slice(0, 8).toLowerCase(),
    IsActive: true,
    TimeZoneSidKey: 'Europe/London',
    LocaleSidKey: 'en_GB',
    EmailEncodingKey: 'UTF-8',
    LanguageLocaleKey: 'en_US',
  };
}

/**
 * Loads a seed into the org (one transaction) and registers its agents with the Omni simulator.
 * Connected apps without a certificate get a generated key pair.
 */
export function loadSeed(org: OrgApi, omni: OmniSimulator | undefined, seed: Seed): SeedResult {
  const result: SeedResult = {
    apps: [],
    generatedKeys: {},
    usernames: [],
    ids: { users: {}, skills: {}, queues: {}, serviceChannels: {}, routingConfigs: {} },
    recordIds: [],
  };
  const agents: { userId: string; username: string; capacity: number; online: boolean }[] = [];
  org.transaction(() => {
    for (const u of [...seed.users, ...seed.agents]) {
      if (result.ids.users[u.username.toLowerCase()])
        throw new Error(`seed: duplicate username ${u.username}`);
      // A user that already exists (the org's built-in integration user) is reused.
      const existing = findUser(org, u.username);
      const id = existing ? existing.Id : createKnown(org, 'User', userFields(u));
      result.ids.users[u.username.toLowerCase()] = id;
      result.usernames.push(u.username);
    }
    const userId = (name: string): string => {
      const id = result.ids.users[name.toLowerCase()];
      if (!id) throw new Error(`seed: unknown username ${name}`);
      return id;
    };
    for (const s of seed.skills) {
      result.ids.skills[s.developerName] = createKnown(org, 'Skill', {
        DeveloperName: s.developerName,
        MasterLabel: s.label,
      });
    }
    for (const c of seed.serviceChannels) {
      result.ids.serviceChannels[c.developerName] = createKnown(org, 'ServiceChannel', {
        DeveloperName: c.developerName,
        MasterLabel: c.label,
        RelatedEntity: c.relatedEntity,
      });
    }
    for (const r of seed.routingConfigs) {
      result.ids.routingConfigs[r.developerName] = createKnown(org, 'QueueRoutingConfig', {
        DeveloperName: r.developerName,
        MasterLabel: r.label,
        RoutingModel: r.routingModel,
        RoutingPriority: r.routingPriority,
        CapacityWeight: r.capacityWeight,
        DropAdditionalSkillsTimeout: r.dropAdditionalSkillsTimeout,
        PushTimeout: r.pushTimeout,
      });
    }
    for (const q of seed.queues) {
      const configId = q.routingConfig ? result.ids.routingConfigs[q.routingConfig] : undefined;
      if (q.routingConfig && !configId) throw new Error(`seed: unknown routing config ${q.routingConfig}`);
      const id = createKnown(org, 'Group', {
        DeveloperName: q.developerName,
        Name: q.name,
        Type: 'Queue',
        QueueRoutingConfigId: configId,
      });
      result.ids.queues[q.developerName] = id;
      for (const t of q.sobjectTypes) createKnown(org, 'QueueSobject', { QueueId: id, SobjectType: t });
      for (const m of q.members) createKnown(org, 'GroupMember', { GroupId: id, UserOrGroupId: userId(m) });
    }
    for (const a of seed.agents) {
      const uid = userId(a.username);
      const resourceId = createKnown(org, 'ServiceResource', {
        Name: [a.firstName, a.lastName].filter(Boolean).join(' '),
        RelatedRecordId: uid,
        ResourceType: 'A',
        IsActive: true,
      });
      for (const [skill, level] of Object.entries(a.skills)) {
        const skillId = result.ids.skills[skill];
        if (!skillId) throw new Error(`seed: agent ${a.username} has unknown skill ${skill}`);
        createKnown(org, 'ServiceResourceSkill', {
          ServiceResourceId: resourceId,
          SkillId: skillId,
          SkillLevel: level,
          EffectiveStartDate: '2020-01-01T00:00:00.000+0000',
        });
      }
      agents.push({ userId: uid, username: a.username, capacity: a.capacity, online: a.online });
    }
    for (const r of seed.records) {
      const fields = { ...r.fields };
      if (r.recordType) {
        const sobject = org.describe(r.sobject).name;
        const rt = org
          .list('RecordType')
          .find((x) => x.DeveloperName === r.recordType && x.SobjectType === sobject);
        if (!rt) throw new Error(`seed: no record type ${r.recordType} on ${sobject}`);
        fields.RecordTypeId = rt.Id;
      }
      result.recordIds.push(org.create(r.sobject, fields, { autoAssign: false }).id);
    }
  });
  for (const a of agents) omni?.registerAgent(a);
  for (const app of seed.connectedApps) {
    for (const u of [...app.preAuthorizedUsernames, ...(app.runAsUsername ? [app.runAsUsername] : [])]) {
      if (!result.ids.users[u.toLowerCase()])
        throw new Error(`seed: app ${app.clientId} names unknown user ${u}`);
    }
    let certificatePem = app.certificatePem ?? undefined;
    const wantsJwt = app.preAuthorizedUsernames.length > 0;
    if (!certificatePem && wantsJwt) {
      const generated = generateSelfSignedCertificate(app.clientId);
      certificatePem = generated.certificatePem;
      result.generatedKeys[app.clientId] = generated.privateKeyPem;
    }
    result.apps.push({
      clientId: app.clientId,
      ...(app.label ? { label: app.label } : {}),
      ...(certificatePem ? { certificatePem } : {}),
      ...(app.clientSecret ? { clientSecret: app.clientSecret } : {}),
      ...(app.runAsUsername ? { runAsUsername: app.runAsUsername } : {}),
      preAuthorizedUsernames: app.preAuthorizedUsernames,
    });
  }
  return result;
}
