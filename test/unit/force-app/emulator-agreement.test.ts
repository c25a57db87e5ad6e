// Two readers of force-app exist: the emulator's schema loader (src/emulator/schema/force-app.ts), which
// decides what the local org accepts, and the test helper (test/support/force-app-model.ts). If they
// ever read the metadata differently, the service would be tested against the wrong schema.
import path from 'node:path';
import { listForceAppFields, readPermissionSets } from '../../../src/emulator/schema/force-app';
import { loadForceAppModel } from '../../support/force-app-model';

const FORCE_APP = path.resolve(__dirname, '../../../force-app');
const model = loadForceAppModel();

describe('the emulator and the test helper read force-app alike', () => {
  const emulatorFields = listForceAppFields(FORCE_APP);

  it('see the same fields', () => {
    const key = (o: string, f: string): string => `${o}.${f}`;
    expect(emulatorFields.map((f) => key(f.object, f.fullName)).sort()).toEqual(
      model
        .allFields()
        .map((f) => key(f.object, f.name))
        .sort(),
    );
  });

  it.each(emulatorFields.map((f) => [`${f.object}.${f.fullName}`, f]))('%s has the same shape', (_k, e) => {
    const m = model.field(e.object, e.fullName);
    expect({
      type: e.type,
      length: e.length,
      precision: e.precision,
      scale: e.scale,
      externalId: e.externalId,
      unique: e.unique,
      // master-detail fields are always required; the helper says so, the raw reader reports the XML
      required: e.required || e.type === 'MasterDetail',
      referenceTo: e.referenceTo,
      relationshipName: e.relationshipName,
      restricted: e.picklist?.restricted,
      values: e.picklist?.values.map((v) => v.fullName),
    }).toEqual({
      type: m?.type,
      length: m?.length,
      precision: m?.precision,
      scale: m?.scale,
      externalId: m?.externalId,
      unique: m?.unique,
      required: m?.required,
      referenceTo: m?.referenceTo,
      relationshipName: m?.relationshipName,
      restricted: m?.picklist?.restricted,
      values: m?.picklist?.values.map((v) => v.value),
    });
  });

  it('see the same permission set grants', () => {
    for (const ps of readPermissionSets(FORCE_APP)) {
      const fields = Object.fromEntries(
        ps.fieldPermissions.map((p) => [p.field, { readable: p.readable, editable: p.editable }]),
      );
      expect(fields).toEqual(model.permissionSets[ps.name]?.fields);
    }
  });
});
