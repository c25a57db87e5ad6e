import { Connection } from 'jsforce';
import { createEmulator, type Emulator } from '../../../src/emulator/index';
import { nowSeconds, signAssertion } from './helpers';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface CompositeResponse {
  compositeResponse: { referenceId: string; httpStatusCode: number; body: unknown }[];
}

describe('jsforce (unchanged) against the emulator over HTTP', () => {
  let emu: Emulator;
  let url: string;
  let conn: Connection;

  beforeAll(async () => {
    emu = createEmulator({ randomSeed: 11, omni: { acceptDelayMs: 0, tickIntervalMs: 25 } });
    url = await emu.start(0);
    const creds = emu.jwt()!;
    conn = new Connection({ oauth2: { loginUrl: url, clientId: creds.clientId }, version: '63.0' });
    const assertion = await signAssertion(creds.privateKeyPem, {
      iss: creds.clientId,
      sub: creds.username,
      aud: 'https://login.salesforce.com',
      exp: nowSeconds() + 180,
    });
    const userInfo = await conn.authorize({ grant_type: JWT_GRANT, assertion });
    expect(userInfo.organizationId).toBe(emu.orgId);
    expect(userInfo.id).toMatch(/^005/);
  });

  afterAll(async () => {
    await emu.stop();
  });

  it('logged in with the JWT bearer flow', () => {
    expect(conn.instanceUrl).toBe(url);
    expect(conn.accessToken).toEqual(expect.any(String));
  });

  it('reads the identity', async () => {
    const id = await conn.identity();
    expect(id.username).toBe('integration@fsc-handoff.emulator');
    expect(id.organization_id).toBe(emu.orgId);
  });

  it('creates, retrieves, updates and deletes', async () => {
    const created = await conn.sobject('Account').create({ Name: 'jsforce Account' });
    expect(created).toMatchObject({ success: true, id: expect.stringMatching(/^001/) });
    const id = created.id!;
    const record = await conn.sobject('Account').retrieve(id);
    expect(record.Name).toBe('jsforce Account');
    const updated = await conn.sobject('Account').update({ Id: id, Name: 'jsforce Account 2' });
    expect(updated).toMatchObject({ success: true, id });
    expect((await conn.sobject('Account').retrieve(id)).Name).toBe('jsforce Account 2');
    const destroyed = await conn.sobject('Account').destroy(id);
    expect(destroyed).toMatchObject({ success: true, id });
    await expect(conn.sobject('Account').retrieve(id)).rejects.toMatchObject({
      errorCode: 'ENTITY_IS_DELETED',
    });
  });

  it('surfaces DML errors as jsforce errors with the Salesforce errorCode', async () => {
    await expect(conn.sobject('Account').create({ Nope__c: 1 })).rejects.toMatchObject({
      errorCode: 'INVALID_FIELD',
    });
  });

  it('creates and updates many records at once (sObject Collections)', async () => {
    const results = await conn.sobject('Contact').create([
      { LastName: 'Many-1', Bank_Customer_Id__c: 'JSF-1' },
      { LastName: 'Many-2', Bank_Customer_Id__c: 'JSF-2' },
    ]);
    expect(results.map((r) => r.success)).toEqual([true, true]);
  });

  it('upserts by external id (created, then updated)', async () => {
    const first = await conn
      .sobject('Case')
      .upsert({ Handoff_Id__c: 'jsf-ho-1', Subject: 'From jsforce' }, 'Handoff_Id__c');
    expect(first).toMatchObject({ success: true, created: true });
    const second = await conn
      .sobject('Case')
      .upsert({ Handoff_Id__c: 'jsf-ho-1', Subject: 'From jsforce, again' }, 'Handoff_Id__c');
    expect(second).toMatchObject({ success: true, created: false });
    const rows = await conn.query<{ Subject: string }>(
      "SELECT Subject FROM Case WHERE Handoff_Id__c = 'jsf-ho-1'",
    );
    expect(rows.records.map((r) => r.Subject)).toEqual(['From jsforce, again']);
  });

  it('describes objects', async () => {
    const global = await conn.describeGlobal();
    expect(global.sobjects.map((s) => s.name)).toContain('Bot_Handoff__c');
    const d = await conn.sobject('Case').describe();
    expect(d.fields.find((f) => f.name === 'Handoff_Id__c')).toMatchObject({ externalId: true });
  });

  it('queries with autoFetch across several batches and with explicit queryMore', async () => {
    const records = Array.from({ length: 450 }, (_x, i) => ({ Name: `JSF Paged ${i}` }));
    for (let i = 0; i < records.length; i += 200) {
      const res = await conn.sobject('Account').create(records.slice(i, i + 200));
      expect(res.every((r) => r.success)).toBe(true);
    }
    const soql = "SELECT Id, Name FROM Account WHERE Name LIKE 'JSF Paged%'";
    const headers = { 'Sforce-Query-Options': 'batchSize=200' };
    let fetches = 0;
    const all = await conn
      .query(soql, { autoFetch: true, maxFetch: 10_000, headers })
      .on('fetch', () => {
        fetches++;
      })
      .run({ autoFetch: true, maxFetch: 10_000, headers });
    expect(all.totalSize).toBe(450);
    expect(all.records).toHaveLength(450);
    expect(fetches).toBe(3);

    const page1 = await conn.request<{ done: boolean; nextRecordsUrl: string; records: unknown[] }>({
      method: 'GET',
      url: `/services/data/v63.0/query?q=${encodeURIComponent(soql)}`,
      headers,
    });
    expect(page1.done).toBe(false);
    const page2 = await conn.queryMore(page1.nextRecordsUrl);
    expect(page2.records).toHaveLength(200);
    const page3 = await conn.queryMore(page2.nextRecordsUrl!);
    expect(page3.done).toBe(true);
    expect(page3.records).toHaveLength(50);
  });

  it('posts a composite request', async () => {
    const res = await conn.requestPost<CompositeResponse>('/services/data/v63.0/composite', {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: '/services/data/v63.0/sobjects/Account',
          referenceId: 'acc',
          body: { Name: 'Composite Co' },
        },
        {
          method: 'POST',
          url: '/services/data/v63.0/sobjects/Contact',
          referenceId: 'con',
          body: { LastName: 'Composite', AccountId: '@{acc.id}' },
        },
      ],
    });
    expect(res.compositeResponse.map((r) => r.httpStatusCode)).toEqual([201, 201]);
  });

  it('runs the Omni-Channel sequence: PSR not ready → SkillRequirements → ready → AgentWork Assigned → Opened, PSR deleted', async () => {
    const channel = await conn.query<{ Id: string }>(
      "SELECT Id FROM ServiceChannel WHERE DeveloperName = 'Case_Channel'",
    );
    const skills = await conn.query<{ Id: string; DeveloperName: string }>(
      "SELECT Id, DeveloperName FROM Skill WHERE DeveloperName IN ('Fraud', 'English')",
    );
    const skillId = (name: string): string => skills.records.find((s) => s.DeveloperName === name)!.Id;
    const theCase = await conn.sobject('Case').create({ Subject: 'Suspicious card payments', Origin: 'Web' });
    const psr = await conn.sobject('PendingServiceRouting').create({
      WorkItemId: theCase.id,
      ServiceChannelId: channel.records[0]!.Id,
      RoutingType: 'SkillsBased',
      RoutingModel: 'MostAvailable',
      RoutingPriority: 1,
      CapacityWeight: 1,
      IsReadyForRouting: false,
    });
    expect(psr.success).toBe(true);
    for (const [name, level] of [
      ['Fraud', 8],
      ['English', 5],
    ] as const) {
      const sr = await conn
        .sobject('SkillRequirement')
        .create({ RelatedRecordId: psr.id, SkillId: skillId(name), SkillLevel: level });
      expect(sr.success).toBe(true);
    }
    // Not ready yet: nothing is routed.
    await new Promise((r) => setTimeout(r, 100));
    expect((await conn.query(`SELECT Id FROM AgentWork WHERE WorkItemId = '${theCase.id}'`)).totalSize).toBe(
      0,
    );
    await conn.sobject('PendingServiceRouting').update({ Id: psr.id!, IsReadyForRouting: true });

    let status = '';
    const deadline = Date.now() + 5000;
    let work: { Status: string; UserId: string; PendingServiceRoutingId: string | null }[] = [];
    while (Date.now() < deadline && status !== 'Opened') {
      work = (
        await conn.query<{ Status: string; UserId: string; PendingServiceRoutingId: string | null }>(
          `SELECT Status, UserId, PendingServiceRoutingId FROM AgentWork WHERE WorkItemId = '${theCase.id}'`,
        )
      ).records;
      status = work[0]?.Status ?? '';
      if (status !== 'Opened') await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe('Opened');
    const marcus = await conn.query<{ Id: string }>(
      "SELECT Id FROM User WHERE Username = 'marcus.bell@fsc-handoff.emulator'",
    );
    expect(work[0]!.UserId).toBe(marcus.records[0]!.Id);
    await expect(conn.sobject('PendingServiceRouting').retrieve(psr.id!)).rejects.toMatchObject({
      errorCode: 'ENTITY_IS_DELETED',
    });
    const after = await conn.sobject('Case').retrieve(theCase.id!);
    expect(after.OwnerId).toBe(marcus.records[0]!.Id);
  });

  it('reports API usage like Salesforce (Sforce-Limit-Info → conn.limitInfo)', async () => {
    await conn.request('/services/data/v63.0/limits');
    expect(conn.limitInfo.apiUsage).toEqual({ used: expect.any(Number), limit: 100000 });
  });
});
