/**
 * Standard objects the product touches, written from Salesforce's Object Reference (field names, types,
 * lengths, properties and standard picklist values are facts; labels follow the org's English UI).
 *
 * Key prefixes: 001 Account, 003 Contact, 500 Case, 005 User, 00D Organization (recorded global describe);
 * 00G Group and 011 GroupMember (recorded REST responses in public code); 0JR PendingServiceRouting
 * (recorded query response in public code); 0C5 Skill, 0N9 ServiceChannel, 0Hn ServiceResource (ids in
 * public Salesforce code samples); 012 RecordType (the master record type id 012000000000000AAA);
 * 00e Profile. Prefixes marked UNCONFIRMED below are plausible and unused but could not be confirmed in a
 * Salesforce document or a recorded response (0Bz AgentWork and 0N5 ServicePresenceStatus appear only in
 * third-party mock code).
 */
import type { ObjectDef, FieldDef } from './model';
import {
  CREATE_ONLY,
  REQ,
  RO,
  autoNumber,
  bool,
  currency,
  date,
  datetime,
  double,
  email,
  field,
  int,
  ownerField,
  percent,
  phone,
  picklist,
  ref,
  str,
  systemFields,
  textarea,
  url,
} from './fields';

function obj(
  name: string,
  label: string,
  labelPlural: string,
  keyPrefix: string,
  fields: FieldDef[],
  opts: Partial<Omit<ObjectDef, 'fields'>> = {},
): ObjectDef {
  return {
    name,
    label,
    labelPlural,
    keyPrefix,
    custom: false,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    ...opts,
    fields: [...systemFields(label), ...fields],
  };
}

const SALUTATIONS = ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.'];
const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];

function address(prefix: string, label: string): FieldDef[] {
  return [
    textarea(`${prefix}Street`, `${label} Street`, 255),
    str(`${prefix}City`, `${label} City`, 40),
    str(`${prefix}State`, `${label} State/Province`, 80),
    str(`${prefix}PostalCode`, `${label} Zip/Postal Code`, 20),
    str(`${prefix}Country`, `${label} Country`, 80),
  ];
}

/** Account standard fields mirrored from the person contact on person accounts. */
export const PERSON_ACCOUNT_MIRRORS: Record<string, string> = {
  FirstName: 'FirstName',
  LastName: 'LastName',
  MiddleName: 'MiddleName',
  Salutation: 'Salutation',
  PersonEmail: 'Email',
  PersonMobilePhone: 'MobilePhone',
  PersonHomePhone: 'HomePhone',
  PersonOtherPhone: 'OtherPhone',
  PersonBirthdate: 'Birthdate',
  PersonTitle: 'Title',
  PersonDepartment: 'Department',
  PersonLeadSource: 'LeadSource',
  PersonMailingStreet: 'MailingStreet',
  PersonMailingCity: 'MailingCity',
  PersonMailingState: 'MailingState',
  PersonMailingPostalCode: 'MailingPostalCode',
  PersonMailingCountry: 'MailingCountry',
};

function account(): ObjectDef {
  const person = (f: FieldDef): FieldDef => ({ ...f, personContactField: PERSON_ACCOUNT_MIRRORS[f.name] });
  return obj('Account', 'Account', 'Accounts', '001', [
    ref('MasterRecordId', 'Master Record ID', ['Account'], 'MasterRecord', null, RO),
    // Not nillable in describe; on a person account the platform derives it from the person's name.
    str('Name', 'Account Name', 255, { nillable: false }),
    picklist('Type', 'Account Type', [
      'Prospect',
      'Customer - Direct',
      'Customer - Channel',
      'Channel Partner / Reseller',
      'Installation Partner',
      'Technology Partner',
      'Other',
    ]),
    ref('RecordTypeId', 'Record Type ID', ['RecordType'], 'RecordType', null),
    ref('ParentId', 'Parent Account ID', ['Account'], 'Parent', 'ChildAccounts'),
    ...address('Billing', 'Billing'),
    ...address('Shipping', 'Shipping'),
    phone('Phone', 'Account Phone'),
    phone('Fax', 'Account Fax'),
    str('AccountNumber', 'Account Number', 40),
    url('Website', 'Website'),
    str('Sic', 'SIC Code', 20),
    picklist('Industry', 'Industry', [
      'Agriculture',
      'Apparel',
      'Banking',
      'Biotechnology',
      'Chemicals',
      'Communications',
      'Construction',
      'Consulting',
      'Education',
      'Electronics',
      'Energy',
      'Engineering',
      'Entertainment',
      'Environmental',
      'Finance',
      'Food & Beverage',
      'Government',
      'Healthcare',
      'Hospitality',
      'Insurance',
      'Machinery',
      'Manufacturing',
      'Media',
      'Not For Profit',
      'Recreation',
      'Retail',
      'Shipping',
      'Technology',
      'Telecommunications',
      'Transportation',
      'Utilities',
      'Other',
    ]),
    currency('AnnualRevenue', 'Annual Revenue', 18, 0),
    int('NumberOfEmployees', 'Employees', 8),
    picklist('Ownership', 'Ownership', ['Public', 'Private', 'Subsidiary', 'Other']),
    str('TickerSymbol', 'Ticker Symbol', 20),
    textarea('Description', 'Account Description', 32000),
    picklist('Rating', 'Account Rating', ['Hot', 'Warm', 'Cold']),
    str('Site', 'Account Site', 80),
    ownerField(['User']),
    picklist('AccountSource', 'Account Source', LEAD_SOURCES),
    // Person accounts
    person(str('FirstName', 'First Name', 40)),
    person(str('LastName', 'Last Name', 80)),
    person(str('MiddleName', 'Middle Name', 40)),
    person(picklist('Salutation', 'Salutation', SALUTATIONS)),
    ref('PersonContactId', 'Person Contact ID', ['Contact'], 'PersonContact', null, RO),
    bool('IsPersonAccount', 'Is Person Account', false, RO),
    person(email('PersonEmail', 'Email')),
    person(phone('PersonMobilePhone', 'Mobile')),
    person(phone('PersonHomePhone', 'Home Phone')),
    person(phone('PersonOtherPhone', 'Other Phone')),
    person(date('PersonBirthdate', 'Birthdate')),
    person(str('PersonTitle', 'Title', 80)),
    person(str('PersonDepartment', 'Department', 80)),
    person(picklist('PersonLeadSource', 'Lead Source', LEAD_SOURCES)),
    person(textarea('PersonMailingStreet', 'Mailing Street', 255)),
    person(str('PersonMailingCity', 'Mailing City', 40)),
    person(str('PersonMailingState', 'Mailing State/Province', 80)),
    person(str('PersonMailingPostalCode', 'Mailing Zip/Postal Code', 20)),
    person(str('PersonMailingCountry', 'Mailing Country', 80)),
  ]);
}

function contact(): ObjectDef {
  return obj('Contact', 'Contact', 'Contacts', '003', [
    ref('MasterRecordId', 'Master Record ID', ['Contact'], 'MasterRecord', null, RO),
    // Deleting an account deletes its contacts (describe: Account.Contacts cascadeDelete true).
    ref('AccountId', 'Account ID', ['Account'], 'Account', 'Contacts', { deleteConstraint: 'Cascade' }),
    str('LastName', 'Last Name', 80, REQ),
    str('FirstName', 'First Name', 40),
    str('MiddleName', 'Middle Name', 40),
    picklist('Salutation', 'Salutation', SALUTATIONS),
    str('Name', 'Full Name', 121, { ...RO, nillable: false }),
    ...address('Other', 'Other'),
    ...address('Mailing', 'Mailing'),
    phone('Phone', 'Business Phone'),
    phone('Fax', 'Business Fax'),
    phone('MobilePhone', 'Mobile Phone'),
    phone('HomePhone', 'Home Phone'),
    phone('OtherPhone', 'Other Phone'),
    phone('AssistantPhone', 'Asst. Phone'),
    ref('ReportsToId', 'Reports To ID', ['Contact'], 'ReportsTo', null),
    email('Email', 'Email', { idLookup: true }),
    str('Title', 'Title', 128),
    str('Department', 'Department', 80),
    str('AssistantName', "Assistant's Name", 40),
    picklist('LeadSource', 'Lead Source', LEAD_SOURCES),
    date('Birthdate', 'Birthdate'),
    textarea('Description', 'Contact Description', 32000),
    ownerField(['User']),
    bool('IsPersonAccount', 'Is Person Account', false, RO),
    bool('HasOptedOutOfEmail', 'Email Opt Out', false),
    bool('DoNotCall', 'Do Not Call', false),
  ]);
}

/** Case Status values and whether each one closes the case (CaseStatus.IsClosed). */
export const CASE_STATUSES: Record<string, boolean> = {
  New: false,
  Working: false,
  Escalated: false,
  Closed: true,
};

function caseObject(): ObjectDef {
  return obj('Case', 'Case', 'Cases', '500', [
    ref('MasterRecordId', 'Master Record ID', ['Case'], 'MasterRecord', null, RO),
    autoNumber('CaseNumber', 'Case Number', '{00000000}', { idLookup: true }),
    ref('ContactId', 'Contact ID', ['Contact'], 'Contact', 'Cases'),
    ref('AccountId', 'Account ID', ['Account'], 'Account', 'Cases'),
    ref('ParentId', 'Parent Case ID', ['Case'], 'Parent', 'Cases'),
    ref('RecordTypeId', 'Record Type ID', ['RecordType'], 'RecordType', null),
    str('SuppliedName', 'Name', 80),
    email('SuppliedEmail', 'Email Address'),
    str('SuppliedPhone', 'Phone', 40),
    str('SuppliedCompany', 'Company', 80),
    picklist('Type', 'Case Type', ['Mechanical', 'Electrical', 'Electronic', 'Structural', 'Other']),
    picklist('Status', 'Status', Object.keys(CASE_STATUSES), { default: 'New' }),
    picklist('Reason', 'Case Reason', [
      'Installation',
      'Equipment Complexity',
      'Performance',
      'Breakdown',
      'Equipment Design',
      'Feedback',
      'Other',
    ]),
    picklist('Origin', 'Case Origin', ['Phone', 'Email', 'Web']),
    str('Subject', 'Subject', 255),
    picklist('Priority', 'Priority', ['High', 'Medium', 'Low'], { default: 'Medium' }),
    textarea('Description', 'Description', 32000),
    bool('IsClosed', 'Closed', false, RO),
    datetime('ClosedDate', 'Closed Date', RO),
    bool('IsEscalated', 'Escalated', false),
    ownerField(['Group', 'User']),
    phone('ContactPhone', 'Contact Phone', RO),
    phone('ContactMobile', 'Contact Mobile', RO),
    email('ContactEmail', 'Contact Email', RO),
    textarea('Comments', 'Internal Comments', 4000),
  ]);
}

function user(): ObjectDef {
  const TZ = ['America/Los_Angeles', 'America/New_York', 'Europe/London', 'Europe/Berlin', 'GMT'];
  const LOCALES = ['en_US', 'en_GB', 'de_DE', 'fr_FR', 'es_ES'];
  const LANGS = ['en_US', 'de', 'fr', 'es'];
  const ENCODINGS = ['UTF-8', 'ISO-8859-1'];
  return obj(
    'User',
    'User',
    'Users',
    '005',
    [
      str('Username', 'Username', 80, { ...REQ, unique: true, idLookup: true }),
      str('LastName', 'Last Name', 80, REQ),
      str('FirstName', 'First Name', 40),
      str('Name', 'Full Name', 121, { ...RO, nillable: false }),
      str('Alias', 'Alias', 8, REQ),
      email('Email', 'Email', { ...REQ, length: 128 }),
      str('CommunityNickname', 'Nickname', 40),
      str('Title', 'Title', 80),
      str('Department', 'Department', 80),
      bool('IsActive', 'Active', true),
      // Emulator: these are required in a real org; here they default so seeds stay short.
      picklist('TimeZoneSidKey', 'Time Zone', TZ, { restricted: true, default: 'GMT', nillable: false }),
      picklist('LocaleSidKey', 'Locale', LOCALES, { restricted: true, default: 'en_US', nillable: false }),
      picklist('LanguageLocaleKey', 'Language', LANGS, {
        restricted: true,
        default: 'en_US',
        nillable: false,
      }),
      picklist('EmailEncodingKey', 'Email Encoding', ENCODINGS, {
        restricted: true,
        default: 'UTF-8',
        nillable: false,
      }),
      ref('ProfileId', 'Profile ID', ['Profile'], 'Profile', null),
      ref('ManagerId', 'Manager ID', ['User'], 'Manager', null),
      picklist('UserType', 'User Type', ['Standard', 'PowerPartner', 'CspLitePortal', 'Guest'], {
        ...RO,
        default: 'Standard',
      }),
    ],
    { deletable: false },
  );
}

function profile(): ObjectDef {
  return obj('Profile', 'Profile', 'Profiles', '00e', [str('Name', 'Name', 255, REQ)], {
    createable: false,
    updateable: false,
    deletable: false,
  });
}

function organization(): ObjectDef {
  return obj(
    'Organization',
    'Organization',
    'Organizations',
    '00D',
    [
      str('Name', 'Name', 80, REQ),
      str('OrganizationType', 'Edition', 40, RO),
      str('InstanceName', 'Instance Name', 5, RO),
      bool('IsSandbox', 'Is Sandbox', false, RO),
      str('DefaultLocaleSidKey', 'Locale', 40, RO),
      str('LanguageLocaleKey', 'Language', 40, RO),
      str('TimeZoneSidKey', 'Time Zone', 40, RO),
      str('NamespacePrefix', 'Namespace Prefix', 15, RO),
    ],
    { createable: false, updateable: false, deletable: false },
  );
}

function recordType(): ObjectDef {
  return obj(
    'RecordType',
    'Record Type',
    'Record Types',
    '012',
    [
      str('Name', 'Record Type Label', 80, REQ),
      str('DeveloperName', 'Record Type Name', 80, REQ),
      str('NamespacePrefix', 'Namespace Prefix', 15, RO),
      textarea('Description', 'Description', 255),
      picklist('SobjectType', 'SObject Type Name', ['Account', 'Contact', 'Case'], {
        ...REQ,
        ...CREATE_ONLY,
      }),
      bool('IsActive', 'Active', true),
      // Set by the platform for person-account record types.
      bool('IsPersonType', 'Is Person Type', false, RO),
      ref('BusinessProcessId', 'Business Process ID', ['BusinessProcess'], 'BusinessProcess', null, RO),
    ],
    { deletable: false },
  );
}

function group(): ObjectDef {
  return obj('Group', 'Group', 'Groups', '00G', [
    str('Name', 'Name', 40, REQ),
    str('DeveloperName', 'Developer Name', 80, { unique: true }),
    ref('RelatedId', 'Related ID', ['User'], 'Related', null, RO),
    picklist(
      'Type',
      'Type',
      [
        'Regular',
        'Queue',
        'Role',
        'RoleAndSubordinates',
        'Organization',
        'Manager',
        'ManagerAndSubordinatesInternal',
      ],
      { ...REQ, ...CREATE_ONLY, restricted: true },
    ),
    email('Email', 'Email'),
    ownerField(['User']),
    bool('DoesSendEmailToMembers', 'Send Email to Members', false),
    bool('DoesIncludeBosses', 'Include Bosses', false),
    ref(
      'QueueRoutingConfigId',
      'Routing Configuration ID',
      ['QueueRoutingConfig'],
      'QueueRoutingConfig',
      null,
    ),
  ]);
}

function groupMember(): ObjectDef {
  return obj(
    'GroupMember',
    'Group Member',
    'Group Members',
    '011',
    [
      ref('GroupId', 'Group ID', ['Group'], 'Group', 'GroupMembers', {
        ...REQ,
        ...CREATE_ONLY,
        deleteConstraint: 'Cascade',
      }),
      ref('UserOrGroupId', 'User/Group ID', ['Group', 'User'], 'UserOrGroup', null, {
        ...REQ,
        ...CREATE_ONLY,
        deleteConstraint: 'Cascade',
      }),
    ],
    { updateable: false },
  );
}

function queueSobject(): ObjectDef {
  // Key prefix 03g: UNCONFIRMED.
  return obj(
    'QueueSobject',
    'Queue Sobject',
    'Queue Sobjects',
    '03g',
    [
      ref('QueueId', 'Group ID', ['Group'], 'Queue', 'QueueSobjects', {
        ...REQ,
        ...CREATE_ONLY,
        deleteConstraint: 'Cascade',
      }),
      // An object API name (Case, Lead, custom objects …); checked against the schema by the org.
      str('SobjectType', 'SObject Type', 40, { ...REQ, ...CREATE_ONLY }),
    ],
    { updateable: false },
  );
}

function skill(): ObjectDef {
  return obj('Skill', 'Skill', 'Skills', '0C5', [
    str('DeveloperName', 'Skill Name', 80, { ...REQ, unique: true }),
    str('MasterLabel', 'Label', 80, { ...REQ, idLookup: true }),
    str('Language', 'Language', 40),
    textarea('Description', 'Description', 1000),
  ]);
}

function serviceChannel(): ObjectDef {
  return obj('ServiceChannel', 'Service Channel', 'Service Channels', '0N9', [
    str('DeveloperName', 'Developer Name', 80, { ...REQ, unique: true }),
    str('MasterLabel', 'Label', 80, REQ),
    // One channel per object type in the org.
    str('RelatedEntity', 'Salesforce Object', 40, { ...REQ, unique: true }),
    picklist('CapacityModel', 'Capacity Model', ['StatusBased', 'TabBased'], {
      restricted: true,
      default: 'TabBased',
    }),
    str('SecRoutingPriorityField', 'Secondary Routing Priority Field', 255),
    str('StatusField', 'Status Field', 255),
    ref(
      'RoutingConfigurationId',
      'Routing Configuration ID',
      ['QueueRoutingConfig'],
      'RoutingConfiguration',
      null,
    ),
  ]);
}

const ROUTING_MODELS = ['ExternalRouting', 'LeastActive', 'MostAvailable'];

function queueRoutingConfig(): ObjectDef {
  // Key prefix 0K9: UNCONFIRMED (platform notes show routing configuration ids starting 0K…).
  return obj('QueueRoutingConfig', 'Routing Configuration', 'Routing Configurations', '0K9', [
    str('DeveloperName', 'Developer Name', 80, { ...REQ, unique: true }),
    str('MasterLabel', 'Label', 80, REQ),
    picklist('RoutingModel', 'Routing Model', ROUTING_MODELS, { ...REQ, restricted: true }),
    int('RoutingPriority', 'Routing Priority', 9, REQ),
    double('CapacityWeight', 'Units of Capacity', 7, 2),
    percent('CapacityPercentage', 'Percentage of Capacity', 5, 2),
    int('PushTimeout', 'Push Timeout', 9),
    int('DropAdditionalSkillsTimeout', 'Drop Additional Skills Timeout', 9),
    bool('IsAttributeBased', 'Skills-Based Routing', false),
    ref('OverflowAssigneeId', 'Overflow Assignee ID', ['Group'], 'OverflowAssignee', null),
  ]);
}

function serviceResource(): ObjectDef {
  return obj('ServiceResource', 'Service Resource', 'Service Resources', '0Hn', [
    str('Name', 'Name', 255, REQ),
    ref('RelatedRecordId', 'User ID', ['User'], 'RelatedRecord', 'ServiceResources'),
    picklist('ResourceType', 'Resource Type', ['T', 'D', 'A', 'C', 'S'], { ...REQ, restricted: true }),
    // Defaulted on create; the default is inactive (UNCONFIRMED).
    bool('IsActive', 'Active', false),
    textarea('Description', 'Description', 32000),
    ownerField(['Group', 'User']),
  ]);
}

function serviceResourceSkill(): ObjectDef {
  // Key prefix 0Sm: UNCONFIRMED (third-party mock code uses 0C6).
  return obj('ServiceResourceSkill', 'Service Resource Skill', 'Service Resource Skills', '0Sm', [
    autoNumber('SkillNumber', 'Skill Number', 'SRS-{0000}'),
    ref(
      'ServiceResourceId',
      'Service Resource ID',
      ['ServiceResource'],
      'ServiceResource',
      'ServiceResourceSkills',
      {
        ...REQ,
        ...CREATE_ONLY,
        deleteConstraint: 'Cascade',
      },
    ),
    ref('SkillId', 'Skill ID', ['Skill'], 'Skill', null, REQ),
    double('SkillLevel', 'Skill Level', 4, 2, { defaultedOnCreate: true, createDefault: 0 }),
    datetime('EffectiveStartDate', 'Start Date', REQ),
    datetime('EffectiveEndDate', 'End Date'),
  ]);
}

function servicePresenceStatus(): ObjectDef {
  // Key prefix 0N5: UNCONFIRMED (third-party mock code uses it).
  return obj('ServicePresenceStatus', 'Presence Status', 'Presence Statuses', '0N5', [
    str('DeveloperName', 'Developer Name', 80, { ...REQ, unique: true }),
    str('MasterLabel', 'Label', 80, REQ),
  ]);
}

/** PendingServiceRouting (OR v67 field table). WorkItemId's referenceTo is completed by buildSchema. */
function pendingServiceRouting(): ObjectDef {
  return obj('PendingServiceRouting', 'Pending Service Routing', 'Pending Service Routing', '0JR', [
    autoNumber('Name', 'Pending Service Routing Name', '{00000000}'),
    // One PSR per work item: enforced as a unique reference.
    ref('WorkItemId', 'Work Item ID', ['Account', 'Case', 'Contact'], 'WorkItem', null, {
      ...REQ,
      ...CREATE_ONLY,
      unique: true,
      // The routing request goes away with its work item.
      deleteConstraint: 'Cascade',
    }),
    ref('ServiceChannelId', 'Service Channel ID', ['ServiceChannel'], 'ServiceChannel', null, {
      ...REQ,
      ...CREATE_ONLY,
    }),
    // Defaulted on create; QueueBased is the default (UNCONFIRMED).
    picklist('RoutingType', 'Routing Type', ['QueueBased', 'SkillsBased'], {
      ...CREATE_ONLY,
      restricted: true,
      default: 'QueueBased',
    }),
    picklist('RoutingModel', 'Routing Model', ROUTING_MODELS, { restricted: true }),
    int('RoutingPriority', 'Routing Priority', 9),
    int('SecondaryRoutingPriority', 'Secondary Routing Priority', 9),
    double('CapacityWeight', 'Capacity Weight', 7, 2),
    percent('CapacityPercentage', 'Capacity Percentage', 5, 2),
    bool('IsReadyForRouting', 'Ready for Routing', false),
    int('PushTimeout', 'Push Timeout', 9),
    int('DropAdditionalSkillsTimeout', 'Drop Additional Skills Timeout', 9),
    ref('PreferredUserId', 'Preferred User ID', ['User'], 'PreferredUser', null),
    bool('IsPreferredUserRequired', 'Preferred User Required', false, CREATE_ONLY),
    datetime('CustomRequestedDateTime', 'Custom Requested Date Time'),
    ref('GroupId', 'Group ID', ['Group'], 'Group', null, RO),
    ref('QueueId', 'Queue ID', ['Group'], 'Queue', null, RO),
    bool('IsPushed', 'Pushed', false, RO),
    bool('IsPushAttempted', 'Push Attempted', false, RO),
    bool('IsTransfer', 'Transfer', false, RO),
    int('Serial', 'Serial', 9, RO),
    ownerField(['Group', 'User']),
  ]);
}

function skillRequirement(): ObjectDef {
  // Key prefix 0Sr: UNCONFIRMED.
  return obj('SkillRequirement', 'Skill Requirement', 'Skill Requirements', '0Sr', [
    autoNumber('SkillNumber', 'Skill Number', 'SR-{0000}'),
    ref(
      'RelatedRecordId',
      'Related Record ID',
      ['PendingServiceRouting'],
      'RelatedRecord',
      'SkillRequirements',
      {
        ...REQ,
        ...CREATE_ONLY,
        deleteConstraint: 'Cascade',
      },
    ),
    ref('SkillId', 'Skill ID', ['Skill'], 'Skill', null, REQ),
    double('SkillLevel', 'Skill Level', 4, 2, { defaultedOnCreate: true, createDefault: 0 }),
    bool('IsAdditionalSkill', 'Additional Skill', false),
    int('SkillPriority', 'Skill Priority', 9),
  ]);
}

export const AGENT_WORK_STATUSES = [
  'Assigned',
  'Canceled',
  'Closed',
  'Declined',
  'DeclinedOnPushTimeout',
  'Opened',
  'Transferred',
  'Unavailable',
];

function agentWork(): ObjectDef {
  // Key prefix 0Bz: UNCONFIRMED (third-party mock code uses it). None of its fields can be updated.
  const C = { ...CREATE_ONLY };
  return obj(
    'AgentWork',
    'Agent Work',
    'Agent Work',
    '0Bz',
    [
      str('Name', 'Name', 255, RO),
      // UNCONFIRMED: the work records of a deleted work item go with it.
      ref('WorkItemId', 'Work Item ID', ['Account', 'Case', 'Contact'], 'WorkItem', null, {
        ...REQ,
        ...C,
        deleteConstraint: 'Cascade',
      }),
      ref('UserId', 'User ID', ['User'], 'User', null, { ...REQ, ...C }),
      ref('ServiceChannelId', 'Service Channel ID', ['ServiceChannel'], 'ServiceChannel', null, {
        ...REQ,
        ...C,
      }),
      ref(
        'PendingServiceRoutingId',
        'Pending Service Routing ID',
        ['PendingServiceRouting'],
        'PendingServiceRouting',
        null,
        {
          ...C,
          // The PSR is deleted when the agent accepts; the work record stays.
          deleteConstraint: 'SetNull',
        },
      ),
      picklist('Status', 'Status', AGENT_WORK_STATUSES, { ...RO, restricted: true, default: 'Assigned' }),
      datetime('AssignedDateTime', 'Assigned Date Time', RO),
      datetime('AcceptDateTime', 'Accept Date Time', RO),
      datetime('DeclineDateTime', 'Decline Date Time', RO),
      datetime('CloseDateTime', 'Close Date Time', RO),
      picklist('RoutingType', 'Routing Type', ['QueueBased', 'SkillsBased'], { ...RO, restricted: true }),
      picklist('RoutingModel', 'Routing Model', ROUTING_MODELS, { ...RO, restricted: true }),
      int('RoutingPriority', 'Routing Priority', 9, RO),
      int('SecondaryRoutingPriority', 'Secondary Routing Priority', 9, RO),
      double('CapacityWeight', 'Capacity Weight', 7, 2, C),
      percent('CapacityPercentage', 'Capacity Percentage', 5, 2, C),
      int('PushTimeout', 'Push Timeout', 9, RO),
      int('SpeedToAnswer', 'Speed to Answer', 9, RO),
      ref('OriginalGroupId', 'Original Group ID', ['Group'], 'OriginalGroup', null, RO),
      { ...ownerField(['User']), updateable: false },
    ],
    { updateable: false },
  );
}

function financialAccount(): ObjectDef {
  // Key prefix 0ZF: UNCONFIRMED. FSC "Financial Account Management Standard Objects".
  return obj('FinancialAccount', 'Financial Account', 'Financial Accounts', '0ZF', [
    str('Name', 'Financial Account Name', 255, REQ),
    str('FinancialAccountNumber', 'Financial Account Number', 255),
    picklist('Type', 'Type', [
      'Checking',
      'Savings',
      'CreditCard',
      'Mortgage',
      'Loan',
      'Brokerage',
      'Insurance',
      'Other',
    ]),
    picklist('Status', 'Status', ['Active', 'Closed', 'Pending', 'Inactive']),
    date('OpeningDate', 'Opening Date'),
    date('ClosingDate', 'Closing Date'),
    date('PaymentDueDate', 'Payment Due Date'),
    date('RenewalDate', 'Renewal Date'),
    bool('IsHeldAway', 'Held Away', false),
    bool('IsOverdraftAllowed', 'Overdraft Allowed', false),
    currency('CreditLimit', 'Credit Limit', 16, 2),
    int('Term', 'Term', 9),
    ownerField(['Group', 'User']),
  ]);
}

function financialAccountParty(): ObjectDef {
  // Key prefix 0ZG: UNCONFIRMED. Role picklist values: UNCONFIRMED.
  return obj('FinancialAccountParty', 'Financial Account Party', 'Financial Account Parties', '0ZG', [
    autoNumber('Name', 'Financial Account Party Name', 'FAP-{0000000}'),
    ref(
      'FinancialAccountId',
      'Financial Account ID',
      ['FinancialAccount'],
      'FinancialAccount',
      'FinancialAccountParties',
      {
        ...REQ,
        ...CREATE_ONLY,
        deleteConstraint: 'Cascade',
      },
    ),
    ref('AccountId', 'Account ID', ['Account'], 'Account', 'FinancialAccountParties'),
    ref('ContactId', 'Contact ID', ['Contact'], 'Contact', 'FinancialAccountParties'),
    picklist('Role', 'Role', [
      'PrimaryOwner',
      'Owner',
      'JointOwner',
      'Beneficiary',
      'Trustee',
      'AuthorizedUser',
    ]),
    bool('IsRoleActive', 'Active', false, RO),
    date('StartDate', 'Start Date'),
    date('EndDate', 'End Date'),
  ]);
}

/** Every standard object definition, freshly built (callers may mutate their copy). */
export function standardObjects(): ObjectDef[] {
  return [
    account(),
    contact(),
    caseObject(),
    user(),
    profile(),
    organization(),
    recordType(),
    group(),
    groupMember(),
    queueSobject(),
    skill(),
    serviceChannel(),
    queueRoutingConfig(),
    serviceResource(),
    serviceResourceSkill(),
    servicePresenceStatus(),
    pendingServiceRouting(),
    skillRequirement(),
    agentWork(),
    financialAccount(),
    financialAccountParty(),
  ];
}

/** The `field` builder re-exported for tests that compose schemas by hand. */
export { field };
