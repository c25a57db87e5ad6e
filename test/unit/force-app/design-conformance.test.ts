// force-app implements the "Salesforce data model (force-app)" section of docs/design.md exactly: the
// test reads the design note itself, so a change to either side that is not made to both fails here.
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { FORCE_APP_DEFAULT, listFiles, loadForceAppModel } from '../../support/force-app-model';
import type { FieldModel } from '../../support/force-app-model';

const REPO = path.resolve(__dirname, '../../..');
const model = loadForceAppModel();

interface DesignField {
  object: string;
  name: string;
  type: string;
  args: string[];
  extId: boolean;
  valueSet: string | undefined;
}

interface DesignChild {
  name: string;
  displayFormat: string;
  relationshipName: string;
}

function designSection(): string {
  const md = fs.readFileSync(path.join(REPO, 'docs/design.md'), 'utf8');
  const start = md.indexOf('## Salesforce data model (force-app)');
  const end = md.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('docs/design.md has no "Salesforce data model (force-app)" section');
  return md.slice(start, end < 0 ? undefined : end);
}

const section = designSection();
const flat = section.replace(/\s*\n\s*/g, ' ');

function parseValueSets(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of flat.matchAll(/- ([a-z ]+): `([a-z0-9_, ]+)`/g)) {
    out[m[1] ?? ''] = (m[2] ?? '').split(',').map((v) => v.trim());
  }
  return out;
}

const TYPE = '(Text|LongTextArea|Picklist|Checkbox|Number|DateTime|MasterDetail)';

function spec(
  object: string,
  name: string,
  type: string,
  args: string | undefined,
  rest: string,
): DesignField {
  return {
    object,
    name,
    type,
    args: (args ?? '').split(',').map((a) => a.trim()),
    extId: /\b(extId|externalId)\b/.test(rest) && /\bunique\b/.test(rest),
    valueSet: /^\s*\(([a-z ]+)\)/.exec(rest)?.[1],
  };
}

function parseTables(): DesignField[] {
  const out: DesignField[] = [];
  let object = '';
  for (const line of section.split('\n')) {
    const heading = /^### (\w+)/.exec(line);
    if (heading) object = heading[1] ?? '';
    const row = new RegExp(`^\\|\\s*\`([\\w.]+__c)\`\\s*\\|\\s*${TYPE}(?:\\(([^)]*)\\))?([^|]*)\\|`).exec(
      line,
    );
    if (!row) continue;
    const qualified = row[1] ?? '';
    const [obj, name] = qualified.includes('.') ? qualified.split('.') : [object, qualified];
    out.push(spec(obj ?? '', name ?? '', row[2] ?? '', row[3], row[4] ?? ''));
  }
  return out;
}

function parseProse(object: string, text: string): DesignField[] {
  const re = new RegExp(`\`([A-Z]\\w*__c)\`\\s+${TYPE}(\\([^)]*\\))?`, 'g');
  const matches = [...text.matchAll(re)];
  return matches.map((m, i) => {
    const end = matches[i + 1]?.index ?? text.length;
    const rest = text.slice((m.index ?? 0) + m[0].length, end);
    return spec(object, m[1] ?? '', m[2] ?? '', m[3]?.slice(1, -1), rest);
  });
}

function between(text: string, from: string, to: string): string {
  const a = text.indexOf(from);
  const b = text.indexOf(to, a + from.length);
  if (a < 0 || b < 0) throw new Error(`docs/design.md: cannot find "${from}" … "${to}"`);
  return text.slice(a + from.length, b);
}

const valueSets = parseValueSets();
const handoffText = between(flat, '### Bot_Handoff__c', '### Children of Bot_Handoff__c');
const childrenText = between(flat, '### Children of Bot_Handoff__c', '### Omni-Channel');
const children: DesignChild[] = [
  ...childrenText.matchAll(/- `(\w+__c)` \(AutoNumber `([^`]+)`, relationshipName `(\w+)`\)/g),
].map((m) => ({ name: m[1] ?? '', displayFormat: m[2] ?? '', relationshipName: m[3] ?? '' }));

const designFields: DesignField[] = [
  ...parseTables(),
  ...parseProse('Bot_Handoff__c', handoffText),
  // "Children of Bot_Handoff__c (MasterDetail `Bot_Handoff__c`, …)": one master-detail field per child.
  ...children.map((c) => spec(c.name, 'Bot_Handoff__c', 'MasterDetail', 'Bot_Handoff__c', '')),
  ...children.flatMap((c, i) => {
    const start = childrenText.indexOf(`- \`${c.name}\``);
    const next = children[i + 1];
    const end = next ? childrenText.indexOf(`- \`${next.name}\``) : childrenText.length;
    return parseProse(c.name, childrenText.slice(start + c.name.length + 4, end));
  }),
];

// Bot_Handoff__c's picklists name no value set in the design; they share the Case fields' sets.
const UNNAMED_SETS: Record<string, string> = {
  Source_Platform__c: 'source platform',
  Escalation_Reason__c: 'escalation reason',
  Urgency__c: 'urgency',
  Sentiment__c: 'sentiment',
  Channel__c: 'channel',
  Routing_Mode__c: 'routing mode',
};

function fieldOf(d: DesignField): FieldModel {
  const f = model.field(d.object, d.name);
  if (!f) throw new Error(`force-app has no ${d.object}.${d.name} (docs/design.md defines it)`);
  return f;
}

describe('the design note parses (guards this test against reading nothing)', () => {
  it('finds the nine shared value sets', () => {
    expect(Object.keys(valueSets).sort()).toEqual(
      [
        'channel',
        'escalation reason',
        'intent outcome',
        'routing mode',
        'sentiment',
        'source platform',
        'urgency',
        'verification method',
        'verification status',
      ].sort(),
    );
  });

  it('says the children hang off Bot_Handoff__c by master-detail', () => {
    expect(childrenText).toMatch(/^\s*\(MasterDetail `Bot_Handoff__c`, sharing ControlledByParent\)/);
  });

  it('finds the fields of every object', () => {
    const count = (o: string): number => designFields.filter((f) => f.object === o).length;
    expect(count('Case')).toBe(10);
    expect(count('Account') + count('Contact')).toBe(2);
    expect(count('Bot_Handoff__c')).toBe(35);
    expect(children.map((c) => c.name)).toEqual([
      'Handoff_Intent__c',
      'Handoff_Verification__c',
      'Handoff_Consent__c',
      'Handoff_Transcript__c',
    ]);
    expect(children.map((c) => count(c.name))).toEqual([8, 9, 6, 7]);
  });
});

describe('fields match docs/design.md', () => {
  it.each(designFields.map((d) => [`${d.object}.${d.name}`, d]))('%s', (_key, d) => {
    const f = fieldOf(d);
    expect(f.type).toBe(d.type);
    switch (d.type) {
      case 'Text':
      case 'LongTextArea':
        expect(f.length).toBe(Number(d.args[0]));
        break;
      case 'Number':
        expect([f.precision, f.scale]).toEqual([Number(d.args[0]), Number(d.args[1])]);
        break;
      case 'MasterDetail':
        expect(f.referenceTo).toBe(d.args[0]);
        break;
      default:
        break;
    }
    expect({ externalId: f.externalId, unique: f.unique }).toEqual({ externalId: d.extId, unique: d.extId });
    if (d.type === 'LongTextArea') expect(f.visibleLines).toBeGreaterThan(0);
    if (d.type === 'Checkbox') expect(f.defaultValue).toBe('false');
    if (d.type === 'Picklist') {
      const setName = d.valueSet ?? UNNAMED_SETS[d.name];
      const values = setName ? valueSets[setName] : undefined;
      expect(values).toBeDefined();
      expect(f.picklist?.restricted).toBe(true);
      expect(f.picklist?.values.map((v) => v.value)).toEqual(values);
      for (const v of f.picklist?.values ?? []) {
        expect(v.label).not.toBe(v.value);
        expect(v.label).not.toContain('_');
        expect(v.isDefault).toBe(false);
      }
    }
  });

  it('force-app defines no custom field the design does not name', () => {
    const designed = new Set(designFields.map((d) => `${d.object}.${d.name}`));
    const extra = model
      .allFields()
      .map((f) => `${f.object}.${f.name}`)
      .filter((k) => !designed.has(k));
    expect(extra).toEqual([]);
  });

  it('every picklist in force-app is restricted', () => {
    const picklists = model.allFields().filter((f) => f.type === 'Picklist');
    expect(picklists.length).toBe(13);
    for (const f of picklists)
      expect({ f: `${f.object}.${f.name}`, r: f.picklist?.restricted }).toEqual({
        f: `${f.object}.${f.name}`,
        r: true,
      });
  });

  it('external ids are case-insensitive unique keys, never required', () => {
    for (const f of model.allFields().filter((x) => x.externalId)) {
      expect({
        key: `${f.object}.${f.name}`,
        unique: f.unique,
        caseSensitive: f.caseSensitive,
        required: f.required,
      }).toEqual({ key: `${f.object}.${f.name}`, unique: true, caseSensitive: false, required: false });
    }
  });
});

describe('objects match docs/design.md', () => {
  it('Bot_Handoff__c: AutoNumber HO-{000000}, controlled by its Case through Bot_Handoffs', () => {
    const o = model.objects.Bot_Handoff__c;
    expect(handoffText).toContain('`HO-{000000}`');
    expect(o?.nameField).toMatchObject({ type: 'AutoNumber', displayFormat: 'HO-{000000}' });
    expect(o?.sharingModel).toBe('ControlledByParent');
    expect(o?.fields.Case__c).toMatchObject({
      type: 'MasterDetail',
      referenceTo: 'Case',
      relationshipName: 'Bot_Handoffs',
    });
  });

  it.each(children.map((c) => [c.name, c]))('%s: AutoNumber, controlled by Bot_Handoff__c', (_name, c) => {
    const o = model.objects[c.name];
    expect(o?.nameField).toMatchObject({ type: 'AutoNumber', displayFormat: c.displayFormat });
    expect(o?.sharingModel).toBe('ControlledByParent');
    expect(o?.fields.Bot_Handoff__c).toMatchObject({
      type: 'MasterDetail',
      referenceTo: 'Bot_Handoff__c',
      relationshipName: c.relationshipName,
    });
  });

  it('each child has exactly one unique external-id key, so a replayed write cannot duplicate it', () => {
    for (const c of children) {
      const keys = Object.values(model.objects[c.name]?.fields ?? {}).filter((f) => f.externalId && f.unique);
      expect({ object: c.name, keys: keys.length }).toEqual({ object: c.name, keys: 1 });
    }
  });
});

describe('Omni-Channel setup matches docs/design.md', () => {
  const parse = (rel: string): Record<string, unknown> =>
    new XMLParser({ parseTagValue: false }).parse(
      fs.readFileSync(path.join(FORCE_APP_DEFAULT, rel), 'utf8'),
    ) as Record<string, unknown>;

  it('service channel Case_Channel routes Cases', () => {
    expect(parse('serviceChannels/Case_Channel.serviceChannel-meta.xml').ServiceChannel).toMatchObject({
      relatedEntityType: 'Case',
    });
  });

  it('routing configuration Handoff_Routing: MostAvailable, priority 1, weight 1, drop additional skills after 60 s', () => {
    expect(flat).toContain(
      '`Handoff_Routing` (MostAvailable, priority 1, capacity weight 1, dropAdditionalSkillsTimeout 60 s)',
    );
    expect(
      parse('queueRoutingConfigs/Handoff_Routing.queueRoutingConfig-meta.xml').QueueRoutingConfig,
    ).toMatchObject({
      routingModel: 'MostAvailable',
      routingPriority: '1',
      capacityWeight: '1',
      dropAdditionalSkillsTimeout: '60',
    });
  });

  it.each(['Handoff_General', 'Handoff_Senior', 'Handoff_Fraud'])(
    'queue %s holds Cases and routes with Handoff_Routing',
    (q) => {
      expect(flat).toContain(`\`${q}\``);
      expect(parse(`queues/${q}.queue-meta.xml`).Queue).toMatchObject({
        queueRoutingConfig: 'Handoff_Routing',
        queueSobject: { sobjectType: 'Case' },
      });
    },
  );

  it('defines exactly the skills the design lists', () => {
    const listed = /Skills \(DeveloperName\): `([^`]+)`/
      .exec(flat)?.[1]
      ?.split(',')
      .map((s) => s.trim());
    expect(listed).toHaveLength(14);
    const defined = listFiles(path.join(FORCE_APP_DEFAULT, 'skills'), '.skill-meta.xml').map((f) =>
      path.basename(f, '.skill-meta.xml'),
    );
    expect(defined.sort()).toEqual([...(listed ?? [])].sort());
  });

  it('defines the two permission sets the design names', () => {
    expect(Object.keys(model.permissionSets).sort()).toEqual([
      'FSC_Handoff_Agent',
      'FSC_Handoff_Integration',
    ]);
  });
});
