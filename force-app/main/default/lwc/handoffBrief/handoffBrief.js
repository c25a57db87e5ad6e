import { LightningElement, api, wire } from 'lwc';
import { getRecord, getFieldValue, getFieldDisplayValue } from 'lightning/uiRecordApi';
import { getRelatedListRecords } from 'lightning/uiRelatedListApi';

import CASE_HANDOFF_ID from '@salesforce/schema/Case.Handoff_Id__c';
import CASE_ESCALATION_REASON from '@salesforce/schema/Case.Escalation_Reason__c';
import CASE_SUMMARY from '@salesforce/schema/Case.Handoff_Summary__c';
import CASE_VERIFICATION_STATUS from '@salesforce/schema/Case.Verification_Status__c';
import CASE_URGENCY from '@salesforce/schema/Case.Urgency__c';
import CASE_SENTIMENT from '@salesforce/schema/Case.Customer_Sentiment__c';
import CASE_CHANNEL from '@salesforce/schema/Case.Contact_Channel__c';
import CASE_LANGUAGE from '@salesforce/schema/Case.Conversation_Language__c';
import CASE_VULNERABLE from '@salesforce/schema/Case.Is_Vulnerable_Customer__c';
import CASE_VIP from '@salesforce/schema/Case.Is_VIP_Customer__c';

const CASE_FIELDS = [
  CASE_HANDOFF_ID,
  CASE_ESCALATION_REASON,
  CASE_SUMMARY,
  CASE_VERIFICATION_STATUS,
  CASE_URGENCY,
  CASE_SENTIMENT,
  CASE_CHANNEL,
  CASE_LANGUAGE,
  CASE_VULNERABLE,
  CASE_VIP,
];

const qualify = (object, names) => names.map((n) => `${object}.${n}`);

const HANDOFF_FIELDS = qualify('Bot_Handoff__c', [
  'Name',
  'Handoff_Id__c',
  'Bot_Name__c',
  'Source_Platform__c',
  'Escalation_Reason__c',
  'Escalation_Detail__c',
  'Summary_Issue__c',
  'Summary_Attempted__c',
  'Summary_Unresolved__c',
  'Next_Best_Action__c',
  'Urgency__c',
  'Sentiment__c',
  'Sentiment_Score__c',
  'Channel__c',
  'Language__c',
  'Is_VIP__c',
  'Is_Vulnerable__c',
  'Transcript_Turns__c',
  'Transcript_Parts__c',
  'Received_At__c',
]);
const INTENT_FIELDS = qualify('Handoff_Intent__c', [
  'Sequence__c',
  'Intent_Name__c',
  'Confidence__c',
  'Outcome__c',
  'Occurred_At__c',
]);
const VERIFICATION_FIELDS = qualify('Handoff_Verification__c', [
  'Is_Verified__c',
  'Method__c',
  'Verified_At__c',
  'Scope__c',
  'Reverify_Required__c',
  'Reverify_Reason__c',
  'Failed_Attempts__c',
]);
const CONSENT_FIELDS = qualify('Handoff_Consent__c', [
  'Consent_Type__c',
  'Granted__c',
  'Captured_At__c',
  'Wording_Version__c',
]);
const TRANSCRIPT_FIELDS = qualify('Handoff_Transcript__c', [
  'Part_Number__c',
  'Total_Parts__c',
  'First_Turn__c',
  'Last_Turn__c',
  'Body__c',
]);

// optionalFields everywhere: a field the user cannot see is left out instead of failing the whole brief.
// Children are few per handoff; the transcript is split into parts of at most 131,072 characters.
const CHILD_PAGE_SIZE = 200;
const HANDOFF_PAGE_SIZE = 50;

/** Value of a field in a UI API record (`{ fields: { X: { value, displayValue } } }`). */
function value(record, name) {
  const field = record && record.fields ? record.fields[name] : undefined;
  return field === undefined || field === null ? undefined : field.value;
}

/** Label of a field (picklist label, formatted number) or its raw value. */
function display(record, name) {
  const field = record && record.fields ? record.fields[name] : undefined;
  if (field === undefined || field === null) return undefined;
  return field.displayValue !== null && field.displayValue !== undefined ? field.displayValue : field.value;
}

function present(v) {
  return v !== undefined && v !== null && v !== '';
}

function humanize(v) {
  if (!present(v)) return undefined;
  const s = String(v).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function byNumber(name) {
  return (a, b) => (Number(value(a, name)) || 0) - (Number(value(b, name)) || 0);
}

function errorMessage(error) {
  if (!error) return undefined;
  const body = error.body;
  if (Array.isArray(body)) return body.map((e) => e.message).join(', ');
  if (body && typeof body.message === 'string') return body.message;
  return typeof error.message === 'string' ? error.message : 'Unknown error';
}

export default class HandoffBrief extends LightningElement {
  @api recordId;

  caseRecord;
  caseError;
  handoffRecords;
  handoffError;
  intentRecords = [];
  verificationRecords = [];
  consentRecords = [];
  transcriptRecords = [];
  childError;
  transcriptExpanded = false;
  visibleParts = 1;

  @wire(getRecord, { recordId: '$recordId', optionalFields: CASE_FIELDS })
  wiredCase({ data, error }) {
    if (data) {
      this.caseRecord = data;
      this.caseError = undefined;
    } else if (error) {
      this.caseError = error;
    }
  }

  @wire(getRelatedListRecords, {
    parentRecordId: '$recordId',
    relatedListId: 'Bot_Handoffs__r',
    optionalFields: HANDOFF_FIELDS,
    pageSize: HANDOFF_PAGE_SIZE,
  })
  wiredHandoffs({ data, error }) {
    if (data) {
      this.handoffRecords = data.records || [];
      this.handoffError = undefined;
    } else if (error) {
      this.handoffError = error;
    }
  }

  @wire(getRelatedListRecords, {
    parentRecordId: '$latestHandoffId',
    relatedListId: 'Intents__r',
    optionalFields: INTENT_FIELDS,
    pageSize: CHILD_PAGE_SIZE,
  })
  wiredIntents({ data, error }) {
    this.receiveChildren('intentRecords', data, error);
  }

  @wire(getRelatedListRecords, {
    parentRecordId: '$latestHandoffId',
    relatedListId: 'Verifications__r',
    optionalFields: VERIFICATION_FIELDS,
    pageSize: CHILD_PAGE_SIZE,
  })
  wiredVerifications({ data, error }) {
    this.receiveChildren('verificationRecords', data, error);
  }

  @wire(getRelatedListRecords, {
    parentRecordId: '$latestHandoffId',
    relatedListId: 'Consents__r',
    optionalFields: CONSENT_FIELDS,
    pageSize: CHILD_PAGE_SIZE,
  })
  wiredConsents({ data, error }) {
    this.receiveChildren('consentRecords', data, error);
  }

  @wire(getRelatedListRecords, {
    parentRecordId: '$latestHandoffId',
    relatedListId: 'Transcript_Parts__r',
    optionalFields: TRANSCRIPT_FIELDS,
    pageSize: CHILD_PAGE_SIZE,
  })
  wiredTranscript({ data, error }) {
    this.receiveChildren('transcriptRecords', data, error);
  }

  receiveChildren(property, data, error) {
    if (data) {
      this[property] = data.records || [];
    } else if (error) {
      this.childError = error;
    }
  }

  // ---- state ---------------------------------------------------------------------------------

  get errorText() {
    const error = this.caseError || this.handoffError || this.childError;
    return error ? `The handoff brief could not be loaded: ${errorMessage(error)}` : undefined;
  }

  get isLoading() {
    return !this.errorText && (this.caseRecord === undefined || this.handoffRecords === undefined);
  }

  get hasNoHandoff() {
    return !this.errorText && !this.isLoading && this.handoffRecords.length === 0;
  }

  get hasHandoff() {
    return !this.errorText && !this.isLoading && this.handoffRecords.length > 0;
  }

  /** The latest handoff: newest Received_At__c (ISO 8601 sorts as text), then the highest number. */
  get latestHandoff() {
    if (!this.handoffRecords || this.handoffRecords.length === 0) return undefined;
    const sorted = [...this.handoffRecords].sort((a, b) => {
      const ra = value(a, 'Received_At__c') || '';
      const rb = value(b, 'Received_At__c') || '';
      if (ra !== rb) return ra < rb ? 1 : -1;
      const na = value(a, 'Name') || '';
      const nb = value(b, 'Name') || '';
      return na < nb ? 1 : na > nb ? -1 : 0;
    });
    return sorted[0];
  }

  get latestHandoffId() {
    return this.latestHandoff ? this.latestHandoff.id : undefined;
  }

  get earlierHandoffsText() {
    const n = this.handoffRecords ? this.handoffRecords.length : 0;
    return n > 1 ? `This case has ${n} bot handoffs; the brief shows the latest.` : undefined;
  }

  // ---- header and summary --------------------------------------------------------------------

  get handoffName() {
    return display(this.latestHandoff, 'Name');
  }

  get metaText() {
    const bot = display(this.latestHandoff, 'Bot_Name__c') || 'the bot';
    const platform = display(this.latestHandoff, 'Source_Platform__c');
    const name = this.handoffName;
    return `Handed over by ${bot}${platform ? ` (${platform})` : ''}${name ? ` · ${name}` : ''}`;
  }

  get receivedAt() {
    return value(this.latestHandoff, 'Received_At__c');
  }

  get summaryText() {
    return getFieldValue(this.caseRecord, CASE_SUMMARY);
  }

  get escalationReason() {
    return (
      display(this.latestHandoff, 'Escalation_Reason__c') ||
      getFieldDisplayValue(this.caseRecord, CASE_ESCALATION_REASON) ||
      humanize(getFieldValue(this.caseRecord, CASE_ESCALATION_REASON)) ||
      'Not recorded'
    );
  }

  get escalationDetail() {
    return value(this.latestHandoff, 'Escalation_Detail__c');
  }

  get customerWants() {
    return value(this.latestHandoff, 'Summary_Issue__c') || 'Not recorded';
  }

  get nextBestAction() {
    return value(this.latestHandoff, 'Next_Best_Action__c');
  }

  get botAttempted() {
    return value(this.latestHandoff, 'Summary_Attempted__c') || 'The bot did not record what it tried.';
  }

  get unresolved() {
    return value(this.latestHandoff, 'Summary_Unresolved__c');
  }

  // ---- verification --------------------------------------------------------------------------

  get verificationRecord() {
    return this.verificationRecords[0];
  }

  /** verified | not_verified | reverify_required: the Case field first, else the verification record. */
  get verificationState() {
    const v = this.verificationRecord;
    const status = getFieldValue(this.caseRecord, CASE_VERIFICATION_STATUS);
    if (status === 'reverify_required' || value(v, 'Reverify_Required__c') === true)
      return 'reverify_required';
    if (status === 'verified') return 'verified';
    if (present(status)) return 'not_verified';
    return value(v, 'Is_Verified__c') === true ? 'verified' : 'not_verified';
  }

  get isVerified() {
    return this.verificationState === 'verified';
  }

  get isReverify() {
    return this.verificationState === 'reverify_required';
  }

  get cueClass() {
    const state = this.verificationState;
    const modifier =
      state === 'verified'
        ? 'cue_verified'
        : state === 'reverify_required'
          ? 'cue_reverify'
          : 'cue_unverified';
    return `cue ${modifier}`;
  }

  get cueIcon() {
    return this.isVerified ? 'utility:success' : 'utility:warning';
  }

  get cueIconText() {
    return this.isVerified ? 'Verified' : this.isReverify ? 'Re-verification required' : 'Not verified';
  }

  get cueHeadline() {
    if (this.isVerified) return 'Already verified — do not re-verify';
    if (this.isReverify) return 'Re-verify before any account action';
    return 'Not verified — verify before any account action';
  }

  get verificationMethod() {
    const v = this.verificationRecord;
    const method = value(v, 'Method__c');
    return method && method !== 'none' ? display(v, 'Method__c') : undefined;
  }

  get verifiedAt() {
    return value(this.verificationRecord, 'Verified_At__c');
  }

  get verificationScope() {
    return value(this.verificationRecord, 'Scope__c');
  }

  get reverifyReason() {
    return this.isReverify ? value(this.verificationRecord, 'Reverify_Reason__c') : undefined;
  }

  get failedAttemptsText() {
    const n = Number(value(this.verificationRecord, 'Failed_Attempts__c')) || 0;
    if (n === 0) return undefined;
    return n === 1
      ? '1 failed verification attempt with the bot'
      : `${n} failed verification attempts with the bot`;
  }

  // ---- intents, consents ---------------------------------------------------------------------

  get intents() {
    return [...this.intentRecords].sort(byNumber('Sequence__c')).map((r, i) => {
      const confidence = value(r, 'Confidence__c');
      return {
        id: r.id,
        step: value(r, 'Sequence__c') || i + 1,
        name: value(r, 'Intent_Name__c') || 'Unnamed intent',
        detail: ` — ${
          present(confidence)
            ? `${Math.round(Number(confidence) * 100)}% confidence`
            : 'confidence not reported'
        } — outcome: ${display(r, 'Outcome__c') || 'not reported'}`,
        occurredAt: value(r, 'Occurred_At__c'),
      };
    });
  }

  get hasIntents() {
    return this.intentRecords.length > 0;
  }

  get consents() {
    return this.consentRecords.map((r) => {
      const granted = value(r, 'Granted__c') === true;
      return {
        id: r.id,
        type: humanize(value(r, 'Consent_Type__c')) || 'Consent',
        decision: granted ? 'Granted' : 'Refused',
        icon: granted ? 'utility:check' : 'utility:close',
        capturedAt: value(r, 'Captured_At__c'),
        wording: value(r, 'Wording_Version__c'),
      };
    });
  }

  get hasConsents() {
    return this.consentRecords.length > 0;
  }

  // ---- sentiment, urgency, flags -------------------------------------------------------------

  get urgency() {
    return (
      display(this.latestHandoff, 'Urgency__c') ||
      getFieldDisplayValue(this.caseRecord, CASE_URGENCY) ||
      'Not assessed'
    );
  }

  get sentiment() {
    const label =
      display(this.latestHandoff, 'Sentiment__c') || getFieldDisplayValue(this.caseRecord, CASE_SENTIMENT);
    const score = value(this.latestHandoff, 'Sentiment_Score__c');
    if (!label) return 'Not reported';
    return present(score) ? `${label} (score ${Number(score).toFixed(2)})` : label;
  }

  get channel() {
    return (
      display(this.latestHandoff, 'Channel__c') ||
      getFieldDisplayValue(this.caseRecord, CASE_CHANNEL) ||
      'Unknown'
    );
  }

  get language() {
    return (
      value(this.latestHandoff, 'Language__c') || getFieldValue(this.caseRecord, CASE_LANGUAGE) || 'Unknown'
    );
  }

  get isVip() {
    return (
      value(this.latestHandoff, 'Is_VIP__c') === true || getFieldValue(this.caseRecord, CASE_VIP) === true
    );
  }

  get isVulnerable() {
    return (
      value(this.latestHandoff, 'Is_Vulnerable__c') === true ||
      getFieldValue(this.caseRecord, CASE_VULNERABLE) === true
    );
  }

  // ---- transcript ----------------------------------------------------------------------------

  get transcriptParts() {
    return [...this.transcriptRecords].sort(byNumber('Part_Number__c'));
  }

  get totalParts() {
    const declared = Number(value(this.latestHandoff, 'Transcript_Parts__c')) || 0;
    return Math.max(declared, this.transcriptRecords.length);
  }

  get hasTranscript() {
    return this.transcriptRecords.length > 0;
  }

  get transcriptToggleLabel() {
    const turns = Number(value(this.latestHandoff, 'Transcript_Turns__c')) || 0;
    const parts = this.totalParts;
    const what = [turns ? `${turns} turns` : undefined, parts > 1 ? `${parts} parts` : undefined]
      .filter(Boolean)
      .join(', ');
    const verb = this.transcriptExpanded ? 'Hide transcript' : 'Show transcript';
    return what ? `${verb} (${what})` : verb;
  }

  get transcriptToggleIcon() {
    return this.transcriptExpanded ? 'utility:chevrondown' : 'utility:chevronright';
  }

  get ariaExpanded() {
    return this.transcriptExpanded ? 'true' : 'false';
  }

  get shownParts() {
    const total = this.totalParts;
    return this.transcriptParts.slice(0, this.visibleParts).map((r, i) => {
      const number = value(r, 'Part_Number__c') || i + 1;
      const first = value(r, 'First_Turn__c');
      const last = value(r, 'Last_Turn__c');
      const turns = present(first) && present(last) ? `, turns ${first}–${last}` : '';
      return {
        id: r.id,
        heading: total > 1 ? `Part ${number} of ${total}${turns}` : `Transcript${turns}`,
        body: value(r, 'Body__c') || '',
      };
    });
  }

  get hasMoreParts() {
    return this.visibleParts < this.transcriptParts.length;
  }

  get nextPartLabel() {
    return `Show part ${this.visibleParts + 1} of ${this.totalParts}`;
  }

  get missingPartsText() {
    const missing = this.totalParts - this.transcriptRecords.length;
    return missing > 0
      ? `${missing} of ${this.totalParts} transcript parts are not available to you or were not delivered.`
      : undefined;
  }

  handleToggleTranscript() {
    this.transcriptExpanded = !this.transcriptExpanded;
  }

  handleShowNextPart() {
    this.visibleParts = Math.min(this.visibleParts + 1, this.transcriptParts.length);
  }

  handleShowAllParts() {
    this.visibleParts = this.transcriptParts.length;
  }
}
