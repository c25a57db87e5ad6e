import { Org } from '../../../src/emulator/org/org';
import { Schema, standardObjects } from '../../../src/emulator/schema';
import { field } from '../../../src/emulator/schema/fields';
import { DATA, testEmulator, list } from './helpers';

describe('REST data API: versions, resources, describe', () => {
  const t = testEmulator();

  it('lists versions without a session, 63.0 among them, in the documented shape', async () => {
    const res = await t.raw().get('/services/data/');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    for (const v of res.body) {
      expect(Object.keys(v).sort()).toEqual(['label', 'url', 'version']);
      expect(v.url).toBe(`/services/data/v${v.version}`);
    }
    expect(list<{ version: string }>(res.body).map((v) => v.version)).toContain('63.0');
  });

  it('answers 404 NOT_FOUND for a version it does not offer', async () => {
    const res = await t.get('/services/data/v20.0/sobjects');
    expect(res.status).toBe(404);
    expect(res.body).toEqual([{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
  });

  it('lists the resources of a version', async () => {
    const res = await t.get(`${DATA}/`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      sobjects: `${DATA}/sobjects`,
      query: `${DATA}/query`,
      composite: `${DATA}/composite`,
    });
  });

  it('describes the org (describe global)', async () => {
    const res = await t.get(`${DATA}/sobjects`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ encoding: 'UTF-8', maxBatchSize: 200 });
    const names = list<{ name: string }>(res.body.sobjects).map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['Account', 'Case', 'PendingServiceRouting', 'Bot_Handoff__c']),
    );
    const acc = list<{ name: string }>(res.body.sobjects).find((s) => s.name === 'Account');
    expect(acc).toMatchObject({ keyPrefix: '001', urls: { sobject: `${DATA}/sobjects/Account` } });
  });

  it('answers sObject basic information and describe', async () => {
    const info = await t.get(`${DATA}/sobjects/Case`);
    expect(info.status).toBe(200);
    expect(info.body.objectDescribe).toMatchObject({ name: 'Case', keyPrefix: '500' });
    expect(info.body.recentItems).toEqual([]);
    const d = await t.get(`${DATA}/sobjects/Case/describe`);
    expect(d.status).toBe(200);
    const f = list<{ name: string }>(d.body.fields).find((x) => x.name === 'Handoff_Id__c');
    expect(f).toMatchObject({ externalId: true, unique: true, type: 'string', length: 80 });
  });

  it('answers 404 NOT_FOUND for an unknown object and an unknown resource', async () => {
    for (const p of [
      `${DATA}/sobjects/Nope__c`,
      `${DATA}/sobjects/Nope__c/describe`,
      `${DATA}/nothing-here`,
    ]) {
      const res = await t.get(p);
      expect(res.status).toBe(404);
      expect(res.body).toEqual([
        { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' },
      ]);
    }
    const outside = await t.get('/services/apexrest/anything');
    expect(outside.status).toBe(404);
    expect(outside.body[0].errorCode).toBe('NOT_FOUND');
  });
});

describe('REST data API: records', () => {
  const t = testEmulator();

  it('creates (201), retrieves with ?fields=, updates (204), deletes (204), then 404', async () => {
    const created = await t.post(`${DATA}/sobjects/Account`, { Name: 'Northwind Savings' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^001[A-Za-z0-9]{15}$/),
      success: true,
      errors: [],
    });
    const id = created.body.id as string;

    const got = await t.get(`${DATA}/sobjects/Account/${id}?fields=Name,Id`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      attributes: { type: 'Account', url: `${DATA}/sobjects/Account/${id}` },
      Id: id,
      Name: 'Northwind Savings',
    });

    const patched = await t.patch(`${DATA}/sobjects/Account/${id}`, { Name: 'Northwind Savings plc' });
    expect(patched.status).toBe(204);
    expect(patched.text).toBe('');
    expect((await t.get(`${DATA}/sobjects/Account/${id}`)).body.Name).toBe('Northwind Savings plc');

    const deleted = await t.del(`${DATA}/sobjects/Account/${id}`);
    expect(deleted.status).toBe(204);
    const gone = await t.get(`${DATA}/sobjects/Account/${id}`);
    expect(gone.status).toBe(404);
    expect(Array.isArray(gone.body)).toBe(true);
  });

  it('answers DML errors as Salesforce error arrays (required field, bad field)', async () => {
    const missing = await t.post(`${DATA}/sobjects/Account`, {});
    expect(missing.status).toBe(400);
    expect(missing.body[0]).toMatchObject({ errorCode: 'REQUIRED_FIELD_MISSING', fields: ['Name'] });
    const bad = await t.post(`${DATA}/sobjects/Account`, { Name: 'x', Nope__c: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body[0].errorCode).toBe('INVALID_FIELD');
  });

  it('answers 400 JSON_PARSER_ERROR for a body that is not JSON or not an object', async () => {
    const res = await t
      .raw()
      .post(`${DATA}/sobjects/Account`)
      .set('Authorization', `Bearer ${t.token}`)
      .set('Content-Type', 'application/json')
      .send('{"Name": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual([{ errorCode: 'JSON_PARSER_ERROR', message: expect.any(String) }]);
    const arr = await t.post(`${DATA}/sobjects/Account`, [{ Name: 'x' }]);
    expect(arr.status).toBe(400);
    expect(arr.body[0].errorCode).toBe('JSON_PARSER_ERROR');
  });

  it('upserts by external id: 201 created:true, then 200 created:false', async () => {
    const url = `${DATA}/sobjects/Case/Handoff_Id__c/ho-upsert-1`;
    const first = await t.patch(url, { Subject: 'Card blocked abroad', Status: 'New', Origin: 'Web' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.stringMatching(/^500/),
      success: true,
      errors: [],
      created: true,
    });
    const second = await t.patch(url, { Subject: 'Card blocked abroad (updated)' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ id: first.body.id, success: true, errors: [], created: false });
    const byExt = await t.get(url);
    expect(byExt.status).toBe(200);
    expect(byExt.body.Subject).toBe('Card blocked abroad (updated)');
  });

  it('finds records by an external id holding quotes and backslashes, ignoring case', async () => {
    const value = "O'Brien\\HO-1";
    const url = `${DATA}/sobjects/Case/Handoff_Id__c/${encodeURIComponent(value)}`;
    expect((await t.patch(url, { Subject: 'Quoted key' })).status).toBe(201);
    const got = await t.get(`${DATA}/sobjects/Case/Handoff_Id__c/${encodeURIComponent(value.toLowerCase())}`);
    expect(got.status).toBe(200);
    expect(got.body.Subject).toBe('Quoted key');
  });

  it('answers NOT_FOUND for an upsert on a field that is not an external id', async () => {
    const res = await t.patch(`${DATA}/sobjects/Case/Subject/abc`, { Status: 'New' });
    expect(res.status).toBe(404);
    expect(res.body[0].errorCode).toBe('NOT_FOUND');
  });

  it('with ?updateOnly=true does not create', async () => {
    const res = await t.patch(`${DATA}/sobjects/Case/Handoff_Id__c/never-created?updateOnly=true`, {
      Subject: 'x',
    });
    expect(res.status).toBe(404);
  });

  it('inserts on POST /sobjects/X/Id', async () => {
    const res = await t.post(`${DATA}/sobjects/Account/Id`, { Name: 'Inserted by Id' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, created: true, id: expect.stringMatching(/^001/) });
  });

  it('deletes by external id', async () => {
    await t.patch(`${DATA}/sobjects/Case/Handoff_Id__c/ho-del-1`, { Subject: 'to delete' });
    const res = await t.del(`${DATA}/sobjects/Case/Handoff_Id__c/ho-del-1`);
    expect(res.status).toBe(204);
    expect((await t.get(`${DATA}/sobjects/Case/Handoff_Id__c/ho-del-1`)).status).toBe(404);
  });

  it('answers 405 for a method a resource does not support', async () => {
    const res = await t
      .raw()
      .put(`${DATA}/sobjects/Account`)
      .set('Authorization', `Bearer ${t.token}`)
      .send({});
    expect(res.status).toBe(405);
    expect(res.body[0].errorCode).toBe('METHOD_NOT_ALLOWED');
  });
});

describe('REST data API: limits and API usage', () => {
  it('answers /limits and sends Sforce-Limit-Info on every call', async () => {
    const t = testEmulator({ dailyApiLimit: 1000 });
    const a = await t.get(`${DATA}/limits`);
    expect(a.status).toBe(200);
    expect(a.body.DailyApiRequests).toEqual({ Max: 1000, Remaining: 999 });
    expect(a.headers['sforce-limit-info']).toBe('api-usage=1/1000');
    const b = await t.get(`${DATA}/sobjects/Account/001000000000000AAA`);
    expect(b.headers['sforce-limit-info']).toBe('api-usage=2/1000');
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED once the daily allocation is spent', async () => {
    const t = testEmulator({ dailyApiLimit: 2 });
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
    const over = await t.get(`${DATA}/limits`);
    expect(over.status).toBe(403);
    expect(over.body).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect(over.headers['sforce-limit-info']).toBe('api-usage=2/2');
  });

  it('counts a composite, graph or collections call as one API call', async () => {
    const t = testEmulator({ dailyApiLimit: 100 });
    await t.post(`${DATA}/composite`, {
      compositeRequest: [
        { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'a', body: { Name: 'A' } },
        { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'b', body: { Name: 'B' } },
        { method: 'GET', url: `${DATA}/sobjects/Account/@{a.id}`, referenceId: 'c' },
      ],
    });
    const after = await t.get(`${DATA}/limits`);
    expect(after.body.DailyApiRequests.Remaining).toBe(98);
  });
});

describe('REST data API: upsert with several matches', () => {
  it('answers 300 with the matching record URLs and writes nothing', async () => {
    // A non-unique external id (allowed by the platform) so that two records can match.
    const objects = standardObjects();
    const account = objects.find((o) => o.name === 'Account');
    account?.fields.push(field('Legacy_Ref__c', 'Legacy Ref', 'string', { length: 40, externalId: true }));
    const org = new Org({ schema: new Schema(objects) });
    const t = testEmulator({ org, seed: false });
    const a = await t.post(`${DATA}/sobjects/Account`, { Name: 'Alpha', Legacy_Ref__c: 'L-1' });
    const b = await t.post(`${DATA}/sobjects/Account`, { Name: 'Beta', Legacy_Ref__c: 'L-1' });
    expect([a.status, b.status]).toEqual([201, 201]);
    const multi = await t.patch(`${DATA}/sobjects/Account/Legacy_Ref__c/L-1`, { Name: 'Gamma' });
    expect(multi.status).toBe(300);
    expect([...multi.body].sort()).toEqual(
      [`${DATA}/sobjects/Account/${a.body.id}`, `${DATA}/sobjects/Account/${b.body.id}`].sort(),
    );
    const names = org.list('Account').map((r) => r.Name);
    expect(names).not.toContain('Gamma');
    const get = await t.get(`${DATA}/sobjects/Account/Legacy_Ref__c/L-1`);
    expect(get.status).toBe(300);
  });
});

describe('REST data API: what other Salesforce clients send', () => {
  const t = testEmulator();

  it('serves the oldest supported versions (sf CLI reads the user on v51.0)', async () => {
    const info = await t.get('/services/oauth2/userinfo');
    const res = await t.get(`/services/data/v51.0/sobjects/User/${info.body.user_id}`);
    expect(res.status).toBe(200);
    expect(res.body.attributes.url).toBe(`/services/data/v51.0/sobjects/User/${info.body.user_id}`);
    const versions = list<{ version: string; label: string }>((await t.raw().get('/services/data')).body);
    expect(versions[0]).toEqual({ version: '31.0', label: "Summer '14", url: '/services/data/v31.0' });
    expect(versions.find((v) => v.version === '63.0')?.label).toBe("Spring '25");
  });

  it('tolerates a doubled leading slash (an instance URL kept with a trailing slash)', async () => {
    const res = await t.get(`/${DATA}/limits`);
    expect(res.status).toBe(200);
    expect(res.body.DailyApiRequests).toBeDefined();
  });

  it('answers query column metadata with &columns=true', async () => {
    const q = encodeURIComponent('SELECT Id, Name, Owner.Name, (SELECT LastName FROM Contacts) FROM Account');
    const res = await t.get(`${DATA}/query?q=${q}&columns=true`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ entityName: 'Account', idSelected: true, keyPrefix: '001' });
    const cols = list<{ columnName: string; joinColumns: { columnName: string }[]; aggregate: boolean }>(
      res.body.columnMetadata,
    );
    expect(cols.map((c) => c.columnName)).toEqual(['Id', 'Name', 'Owner', 'Contacts']);
    expect(cols[2]!.joinColumns.map((c) => c.columnName)).toEqual(['Name']);
    expect(cols[3]!.aggregate).toBe(true);
  });
});
