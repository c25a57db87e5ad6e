// The source converts offline into a Metadata API package (what `sf project deploy start` sends) and the
// package manifest names every component the handoff needs. Semantics (field rules, references) are only
// checked by an org deploy or `--dry-run`, which these tests cannot run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ComponentSet, MetadataConverter } from '@salesforce/source-deploy-retrieve';
import { XMLParser } from 'fast-xml-parser';
import { loadForceAppModel } from '../../support/force-app-model';

const REPO = path.resolve(__dirname, '../../..');

type Manifest = Record<string, string[]>;

function readManifest(file: string): Manifest {
  const parsed = new XMLParser({
    parseTagValue: false,
    isArray: (name) => name === 'types' || name === 'members',
  }).parse(fs.readFileSync(file, 'utf8')) as {
    Package: { types: { name: string; members: string[] }[]; version: string };
  };
  const out: Manifest = {};
  for (const t of parsed.Package.types) out[t.name] = t.members.map(String);
  out.version = [String(parsed.Package.version)];
  return out;
}

describe('force-app converts to a Metadata API package', () => {
  let outDir: string;
  let packageDir: string;
  let manifest: Manifest;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-handoff-mdapi-'));
    const cs = ComponentSet.fromSource(path.join(REPO, 'force-app'));
    const result = await new MetadataConverter().convert(cs, 'metadata', {
      type: 'directory',
      outputDirectory: outDir,
    });
    packageDir = result.packagePath ?? outDir;
    manifest = readManifest(path.join(packageDir, 'package.xml'));
  }, 60_000);

  afterAll(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('uses API version 63.0, as sfdx-project.json says', () => {
    expect(manifest.version).toEqual(['63.0']);
  });

  it('lists the handoff custom objects', () => {
    expect(manifest.CustomObject).toEqual(
      expect.arrayContaining([
        'Bot_Handoff__c',
        'Handoff_Intent__c',
        'Handoff_Verification__c',
        'Handoff_Consent__c',
        'Handoff_Transcript__c',
      ]),
    );
  });

  it('lists every field found in the source, including the fields on standard objects', () => {
    const expected = loadForceAppModel()
      .allFields()
      .map((f) => `${f.object}.${f.name}`);
    expect(expected.length).toBeGreaterThan(70);
    expect([...(manifest.CustomField ?? [])].sort()).toEqual([...expected].sort());
    expect(manifest.CustomField).toEqual(
      expect.arrayContaining([
        'Case.Handoff_Id__c',
        'Account.Bank_Customer_Id__c',
        'Contact.Bank_Customer_Id__c',
      ]),
    );
  });

  it('lists the permission sets and the Omni-Channel setup', () => {
    expect(manifest.PermissionSet).toEqual(['FSC_Handoff_Agent', 'FSC_Handoff_Integration']);
    expect(manifest.ServiceChannel).toEqual(['Case_Channel']);
    expect(manifest.QueueRoutingConfig).toEqual(['Handoff_Routing']);
    expect([...(manifest.Queue ?? [])].sort()).toEqual([
      'Handoff_Fraud',
      'Handoff_General',
      'Handoff_Senior',
    ]);
    expect([...(manifest.Skill ?? [])].sort()).toEqual(
      [
        'Cards',
        'Disputes',
        'Fraud',
        'Lending',
        'Hardship',
        'Payments',
        'Accounts',
        'Bank_Details',
        'Vulnerable_Support',
        'Senior_Support',
        'English',
        'Spanish',
        'French',
        'German',
      ].sort(),
    );
  });

  it('lists the agent brief component and its record page', () => {
    expect(manifest.LightningComponentBundle).toEqual(['handoffBrief']);
    expect(manifest.FlexiPage).toEqual(['Case_Handoff_Record_Page']);
  });

  it('recomposes each custom object with its fields into one objects/*.object file', () => {
    const object = fs.readFileSync(path.join(packageDir, 'objects', 'Bot_Handoff__c.object'), 'utf8');
    expect(object).toContain('<fullName>Case__c</fullName>');
    expect(object).toContain('<fullName>Handoff_Id__c</fullName>');
  });

  it('keeps LWC tests out of the package (.forceignore)', () => {
    const bundle = path.join(packageDir, 'lwc', 'handoffBrief');
    const files = fs.readdirSync(bundle);
    expect(files).toEqual(expect.arrayContaining(['handoffBrief.js', 'handoffBrief.html']));
    expect(files).not.toContain('__tests__');
  });
});
