// Builders for UI API shaped records ({ id, apiName, fields: { X: { value, displayValue } } }), composed
// for these tests. A field given as [value, label] carries a display value (picklists); others don't.

export function uiRecord(apiName, id, fields) {
  const out = {};
  for (const [name, v] of Object.entries(fields)) {
    out[name] = Array.isArray(v) ? { value: v[0], displayValue: v[1] } : { value: v, displayValue: null };
  }
  return { apiName, id, fields: out };
}

export function relatedList(records) {
  return { records, count: records.length, pageSize: 50, nextPageToken: null };
}

export const CASE_ID = '500000000000001AAA';
export const HANDOFF_ID = 'a00000000000001AAA';

export function caseRecord(overrides = {}) {
  return uiRecord('Case', CASE_ID, {
    Handoff_Id__c: 'h-2026-0001',
    Escalation_Reason__c: ['regulated_intent', 'Regulated intent'],
    Handoff_Summary__c: 'Customer reports a card payment they did not make and wants it stopped.',
    Verification_Status__c: ['verified', 'Verified'],
    Urgency__c: ['high', 'High'],
    Customer_Sentiment__c: ['negative', 'Negative'],
    Contact_Channel__c: ['web_chat', 'Web chat'],
    Conversation_Language__c: 'en-GB',
    Is_Vulnerable_Customer__c: false,
    Is_VIP_Customer__c: false,
    ...overrides,
  });
}

export function handoff(overrides = {}, id = HANDOFF_ID) {
  return uiRecord('Bot_Handoff__c', id, {
    Name: 'HO-000042',
    Handoff_Id__c: 'h-2026-0001',
    Bot_Name__c: 'Penny',
    Source_Platform__c: ['dialogflow_cx', 'Dialogflow CX'],
    Escalation_Reason__c: ['regulated_intent', 'Regulated intent'],
    Escalation_Detail__c: 'Disputed card transaction needs a human decision.',
    Summary_Issue__c: 'Stop and dispute an unrecognised card payment of 120 EUR',
    Summary_Attempted__c: 'Showed the last five card transactions; offered to freeze the card.',
    Summary_Unresolved__c: 'Dispute not raised; card not frozen.',
    Next_Best_Action__c: 'Raise a chargeback and offer a replacement card',
    Urgency__c: ['high', 'High'],
    Sentiment__c: ['negative', 'Negative'],
    Sentiment_Score__c: -0.62,
    Channel__c: ['web_chat', 'Web chat'],
    Language__c: 'en-GB',
    Is_VIP__c: false,
    Is_Vulnerable__c: false,
    Transcript_Turns__c: 14,
    Transcript_Parts__c: 1,
    Received_At__c: '2026-11-21T10:15:00.000Z',
    ...overrides,
  });
}

export function intent(seq, name, confidence, outcome, outcomeLabel) {
  return uiRecord('Handoff_Intent__c', `a01${String(seq).padStart(15, '0')}`, {
    Sequence__c: seq,
    Intent_Name__c: name,
    Confidence__c: confidence,
    Outcome__c: [outcome, outcomeLabel],
    Occurred_At__c: '2026-11-21T10:10:00.000Z',
  });
}

export function verification(overrides = {}) {
  return uiRecord('Handoff_Verification__c', 'a02000000000001AAA', {
    Is_Verified__c: true,
    Method__c: ['otp', 'One-time passcode (OTP)'],
    Verified_At__c: '2026-11-21T10:12:00.000Z',
    Scope__c: 'Card servicing',
    Reverify_Required__c: false,
    Reverify_Reason__c: null,
    Failed_Attempts__c: 0,
    ...overrides,
  });
}

export function consent(n, type, granted) {
  return uiRecord('Handoff_Consent__c', `a03${String(n).padStart(15, '0')}`, {
    Consent_Type__c: type,
    Granted__c: granted,
    Captured_At__c: '2026-11-21T10:11:00.000Z',
    Wording_Version__c: 'v3',
  });
}

export function transcriptPart(part, total, firstTurn, lastTurn, body) {
  return uiRecord('Handoff_Transcript__c', `a04${String(part).padStart(15, '0')}`, {
    Part_Number__c: part,
    Total_Parts__c: total,
    First_Turn__c: firstTurn,
    Last_Turn__c: lastTurn,
    Body__c: body,
  });
}
