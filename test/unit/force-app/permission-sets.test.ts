// Least privilege: the integration user can write a handoff and nothing more; agents can read it.
import { loadForceAppModel } from '../../support/force-app-model';
import type { PermissionSetModel } from '../../support/force-app-model';

const model = loadForceAppModel();

/**
 * Standard fields (not in force-app) a permission set may grant: the Case fields the service writes
 * that have field-level security (test/unit/contract-force-app checks the service's side).
 */
const STANDARD_FIELDS_WITH_FLS = new Set([
  'Case.AccountId',
  'Case.ContactId',
  'Case.Description',
  'Case.Origin',
  'Case.Priority',
  'Case.Subject',
]);
const HANDOFF_OBJECTS = [
  'Bot_Handoff__c',
  'Handoff_Intent__c',
  'Handoff_Verification__c',
  'Handoff_Consent__c',
  'Handoff_Transcript__c',
];

function get(name: string): PermissionSetModel {
  const ps = model.permissionSets[name];
  if (!ps) throw new Error(`permission set ${name} is missing from force-app`);
  return ps;
}

describe.each(['FSC_Handoff_Integration', 'FSC_Handoff_Agent'])('permission set %s', (name) => {
  const ps = get(name);

  it('never grants delete, view all or modify all', () => {
    expect(Object.keys(ps.objects).length).toBeGreaterThan(0);
    for (const [object, p] of Object.entries(ps.objects)) {
      expect({
        object,
        allowDelete: p.allowDelete,
        viewAll: p.viewAllRecords,
        modifyAll: p.modifyAllRecords,
      }).toEqual({ object, allowDelete: false, viewAll: false, modifyAll: false });
    }
  });

  it('names only fields that force-app defines, or known standard fields with field-level security', () => {
    for (const key of Object.keys(ps.fields)) {
      if (STANDARD_FIELDS_WITH_FLS.has(key)) continue;
      const [object = '', field = ''] = key.split('.');
      expect({ key, defined: model.field(object, field) !== undefined }).toEqual({ key, defined: true });
    }
  });

  it('has no field permission on a required or master-detail field (the deploy would fail)', () => {
    for (const key of Object.keys(ps.fields)) {
      if (STANDARD_FIELDS_WITH_FLS.has(key)) continue;
      const [object = '', field = ''] = key.split('.');
      const f = model.field(object, field);
      expect({ key, required: f?.required, type: f?.type === 'MasterDetail' }).toEqual({
        key,
        required: false,
        type: false,
      });
    }
  });

  it('grants read on every handoff object and every optional field of it', () => {
    for (const object of HANDOFF_OBJECTS) {
      expect(ps.objects[object]?.allowRead).toBe(true);
      for (const f of Object.values(model.objects[object]?.fields ?? {})) {
        if (f.required) continue;
        expect({
          field: `${object}.${f.name}`,
          readable: ps.fields[`${object}.${f.name}`]?.readable,
        }).toEqual({
          field: `${object}.${f.name}`,
          readable: true,
        });
      }
    }
  });
});

describe('FSC_Handoff_Integration', () => {
  const ps = get('FSC_Handoff_Integration');

  it('enables API access and no other user permission', () => {
    expect(ps.userPermissions).toEqual(['ApiEnabled']);
  });

  it('can create and edit the handoff objects and upsert cases', () => {
    for (const object of [...HANDOFF_OBJECTS, 'Case']) {
      expect({ object, ...ps.objects[object] }).toMatchObject({
        object,
        allowCreate: true,
        allowEdit: true,
        allowRead: true,
      });
    }
  });

  it('can edit every Case custom field and every optional handoff field', () => {
    for (const object of [...HANDOFF_OBJECTS, 'Case']) {
      for (const f of Object.values(model.objects[object]?.fields ?? {})) {
        if (f.required) continue;
        expect({ field: `${object}.${f.name}`, ...ps.fields[`${object}.${f.name}`] }).toEqual({
          field: `${object}.${f.name}`,
          readable: true,
          editable: true,
        });
      }
    }
  });

  it('can edit the standard Case fields the service writes that have field-level security', () => {
    for (const key of STANDARD_FIELDS_WITH_FLS) {
      expect({ key, ...ps.fields[key] }).toEqual({ key, readable: true, editable: true });
    }
  });

  it('only reads accounts and contacts (to link a case by the bank customer id)', () => {
    for (const object of ['Account', 'Contact']) {
      expect(ps.objects[object]).toMatchObject({ allowRead: true, allowCreate: false, allowEdit: false });
      expect(ps.fields[`${object}.Bank_Customer_Id__c`]).toEqual({ readable: true, editable: false });
    }
  });

  it('touches no object outside the handoff model', () => {
    expect(Object.keys(ps.objects).sort()).toEqual([...HANDOFF_OBJECTS, 'Case', 'Account', 'Contact'].sort());
  });
});

describe('FSC_Handoff_Agent', () => {
  const ps = get('FSC_Handoff_Agent');

  it('reads the handoff context but cannot create or edit it', () => {
    expect(Object.keys(ps.objects).sort()).toEqual([...HANDOFF_OBJECTS].sort());
    for (const p of Object.values(ps.objects)) {
      expect(p).toMatchObject({ allowRead: true, allowCreate: false, allowEdit: false });
    }
    expect(Object.values(ps.fields).filter((f) => f.editable)).toEqual([]);
  });

  it('reads the handoff fields on Case, Account and Contact', () => {
    for (const f of Object.values(model.objects.Case?.fields ?? {})) {
      expect(ps.fields[`Case.${f.name}`]).toEqual({ readable: true, editable: false });
    }
    expect(ps.fields['Account.Bank_Customer_Id__c']).toEqual({ readable: true, editable: false });
    expect(ps.fields['Contact.Bank_Customer_Id__c']).toEqual({ readable: true, editable: false });
  });

  it('grants no user permission', () => {
    expect(ps.userPermissions).toEqual([]);
  });
});
