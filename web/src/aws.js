// aws.js - the AWS SDK for JavaScript v3 clients, pointed at this page's own origin and
// signing every call (SigV4) with the signed-in user's temporary credentials. This is
// the only way the console talks to catalogd, besides sign-in itself.
import { IAMClient } from '@aws-sdk/client-iam';
import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import * as session from './session.js';
import { errorCode } from './ui.js';

const CLIENTS = {
  iam: IAMClient,
  sc: ServiceCatalogClient,
  ssm: SSMClient,
  sts: STSClient,
  cfn: CloudFormationClient,
  ec2: EC2Client,
};

let cache = { key: null, clients: {} };
let onExpired = () => {};

/** Called when a call finds the session over (the router sends the user to sign-in). */
export function setExpiredHandler(fn) {
  onExpired = fn;
}

function client(name) {
  const s = session.current();
  if (!s) {
    onExpired();
    throw Object.assign(new Error('Your session has ended. Sign in again.'), { name: 'ExpiredToken' });
  }
  const c = s.Credentials;
  if (cache.key !== c.AccessKeyId) cache = { key: c.AccessKeyId, clients: {} };
  if (!cache.clients[name]) {
    cache.clients[name] = new CLIENTS[name]({
      region: s.Region,
      endpoint: window.location.origin,
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(c.Expiration),
      },
      maxAttempts: 2,
    });
  }
  return cache.clients[name];
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId',
  'UnrecognizedClientException']);

/** Sends command through service's client ('iam', 'sc', 'ssm', 'sts', 'cfn', 'ec2'). */
export async function send(service, command) {
  try {
    return await client(service).send(command);
  } catch (err) {
    // IAM's modeled errors come back as classes named "<Code>Exception" (its wire codes
    // are MalformedPolicyDocument, NoSuchEntity, ...): show the code the API sent.
    if (service === 'iam' && !err.Code && /^[A-Za-z]+Exception$/.test(err.name || '') && err.name !== 'IAMServiceException') {
      err.Code = err.name.slice(0, -'Exception'.length);
    }
    const code = errorCode(err);
    if (EXPIRED.has(code) && !session.current()) onExpired();
    else if (EXPIRED.has(code)) {
      session.end('expired');
      onExpired();
    }
    throw err;
  }
}

/**
 * Every page of a list: makeCommand(token) builds the command for a page, items(out) picks
 * its items, next(out) its next token. Stops after maxPages.
 */
export async function sendAll(service, makeCommand, items, next, maxPages = 20) {
  const all = [];
  let tok;
  for (let i = 0; i < maxPages; i++) {
    const out = await send(service, makeCommand(tok));
    all.push(...(items(out) || []));
    tok = next(out);
    if (!tok) break;
  }
  return all;
}

/** Sign-in: POST /console/api/signin (with the MFA code of a user who has a device).
 * Resolves to the session, or throws with the message (name MFARequired: ask for a code). */
export async function signIn(account, user, password, mfaCode) {
  const res = await fetch('/console/api/signin', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(mfaCode ? { account, user, password, mfaCode } : { account, user, password }),
    credentials: 'omit',
    cache: 'no-store',
  });
  let body = {};
  try {
    body = await res.json();
  } catch {
    body = { message: `catalogd answered ${res.status} without a message.` };
  }
  if (!res.ok) throw Object.assign(new Error(body.message || `HTTP ${res.status}`), { name: body.code || 'SignInFailed' });
  return body;
}

/** What the sign-in form pre-fills: {Account, Region}. */
/** Collects the session a federated sign-in left for this browser (once), or null. */
export async function federatedSession() {
  try {
    const res = await fetch('/console/api/federation/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
      credentials: 'same-origin',
      cache: 'no-store',
    });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

export async function signInHints() {
  try {
    const res = await fetch('/console/api/signin', { cache: 'no-store', credentials: 'omit' });
    return res.ok ? await res.json() : {};
  } catch {
    return {};
  }
}
