// tutorial.test.mjs - the service-actions tutorial, click by click, in the console:
// an admin edits the end-user group's policy (Step 1), creates the restart action
// (Step 2) and associates it with every version of Linux Desktop (Step 3); the end user
// runs it on linux-desktop-1 and sees the record succeed (Step 4), then runs it on an
// instance that is not in the product and reads the troubleshooting message in the
// events (Step 5). Also: a wrong password, the root user, sign-out and expiry.
// Run by tests/console/run.sh, which starts catalogd and loads the demo data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const BASE = process.env.CONSOLE_URL;
const OUT = process.env.CONSOLE_TEST_OUTPUT;
const STEP1 = readFileSync(new URL('./step1-policy.json', import.meta.url), 'utf8');
const ACCOUNT = '123456789012';
const PASSWORDS = { admin: 'Admin-Passw0rd!', enduser: 'EndUser-Passw0rd!' };
const ACTION = 'AWS-RestartEC2Instance';
const WEB_ACTION = 'Restart-web-server'; // make demo's second action (Step 6)
const NOT_IN_PRODUCT = 'i-0123456789abcdef0';

let browser;
let page;
let shot = 0;
const pageErrors = [];

/** A full-page screenshot, numbered in the order the tutorial reaches the pages. */
async function snap(name) {
  shot += 1;
  await page.screenshot({ path: join(OUT, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function signIn(user, password) {
  await page.goto(`${BASE}/signin`);
  await page.evaluate(() => sessionStorage.clear()); // whoever was signed in is not any more
  await page.goto(`${BASE}/`);
  await page.getByRole('heading', { name: 'Sign in to catalogd' }).waitFor();
  await page.getByLabel('Account ID').fill(ACCOUNT);
  await page.getByLabel('IAM user name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
}

async function nav(name) {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
}

before(async () => {
  assert.ok(BASE && OUT, 'run through tests/console/run.sh');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  if (browser) await browser.close();
});

test('the tutorial policy is the seed file\'s, byte for byte', (t) => {
  const seed = join(process.env.SHARED_DIR || '', 'seed', 'service-actions-tutorial.txt');
  if (!existsSync(seed)) {
    t.skip('no ../shared/seed here');
    return;
  }
  assert.ok(readFileSync(seed, 'utf8').includes(STEP1));
});

test('the assets are served with types and cache headers', async () => {
  const res = await fetch(`${BASE}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const html = await res.text();
  const js = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)[1];
  const asset = await fetch(new URL(js, BASE));
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type'), /^text\/javascript/);
  assert.match(asset.headers.get('cache-control'), /immutable/);
  assert.equal((await fetch(`${BASE}/iam/groups/Endusers`)).status, 200); // index fallback
  assert.equal((await fetch(`${BASE}/assets/missing.js`)).status, 404);
});

test('a wrong password is refused with a clear message', async () => {
  await signIn('admin', 'not-the-password');
  await page.getByText('Your authentication information is incorrect. Please try again.').waitFor();
  await snap('signin-wrong-password');
  // an unknown user reads exactly the same
  await page.getByLabel('IAM user name').fill('nobody-here');
  await page.getByLabel('Password').fill('whatever-it-is');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Your authentication information is incorrect. Please try again.').waitFor();
});

test('the root user signs in with the root console password', async () => {
  await signIn('root', process.env.CATALOGD_ROOT_PASSWORD);
  await page.getByRole('heading', { name: 'Welcome, root user' }).waitFor();
  await signOut();
});

test('Step 1: the admin edits the end-user group\'s policy', async () => {
  await signIn('admin', PASSWORDS.admin);
  await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
  await snap('home');
  await nav('Groups');
  await page.getByRole('link', { name: 'Endusers' }).click();
  await page.getByRole('heading', { name: 'Endusers', level: 1 }).waitFor();
  await snap('group-endusers');
  await page.getByRole('link', { name: 'Edit policy ServiceCatalogEndUserPolicy' }).click();
  const editor = page.getByLabel('Policy document (JSON)');
  await editor.waitFor();
  await snap('policy-editor');

  // not JSON: caught in place before any call
  await editor.fill('{"Version": "2012-10-17", "Statement": [');
  await page.getByRole('button', { name: 'Review policy' }).click();
  await page.getByText('The policy is not valid JSON').waitFor();
  // JSON, but IAM refuses it: MalformedPolicyDocument in place
  await editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allowed", "Action": "ec2:StartInstances", "Resource": "*"}]}');
  await page.getByRole('button', { name: 'Review policy' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('#policy-error').getByText(/^MalformedPolicyDocument: /).waitFor();
  assert.equal(await editor.getAttribute('aria-invalid'), 'true');
  await snap('policy-malformed');

  // the tutorial's policy, verbatim
  await editor.fill(STEP1);
  await page.getByRole('button', { name: 'Review policy' }).click();
  await page.getByRole('heading', { name: 'Review policy' }).waitFor();
  await page.getByText('servicecatalog:ExecuteprovisionedProductServiceAction').waitFor();
  await snap('policy-review');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText(/ServiceCatalogEndUserPolicy was updated: version v\d+ is now the default/).waitFor();
  await page.getByLabel('Policy document JSON').getByText('ec2:StopInstances').waitFor();
  await snap('policy-saved');
});

test('Step 2: the admin creates the restart action', async () => {
  await nav('Service actions');
  await page.getByRole('heading', { name: 'Service actions' }).waitFor();
  await snap('actions-empty');
  await page.getByRole('link', { name: 'Create new action' }).click();
  await page.getByRole('heading', { name: 'Create action' }).waitFor();
  assert.equal(await page.getByLabel('Document source').inputValue(), 'Amazon');
  await page.getByLabel(`Select ${ACTION}`).check();
  await page.getByText('Restart EC2 instances(s)').first().waitFor();
  await page.getByLabel('Name', { exact: true }).fill(ACTION);
  await page.getByLabel('Description').fill('Restarts the instance of your Linux Desktop');
  assert.equal(await page.getByLabel('SSM document parameter').inputValue(), 'InstanceId');
  assert.equal(await page.getByLabel('Target', { exact: true }).inputValue(), 'TARGET');
  // "Add parameter" adds a row, which can be removed again
  await page.getByRole('button', { name: 'Add parameter' }).click();
  assert.equal(await page.getByLabel('SSM document parameter').count(), 2);
  assert.equal(await page.getByLabel('SSM document parameter').nth(1).inputValue(), 'AutomationAssumeRole');
  await page.getByRole('button', { name: 'Remove this parameter' }).nth(1).click();
  assert.equal(await page.getByLabel('SSM document parameter').count(), 1);
  assert.ok(await page.getByLabel('Use the launch role (LAUNCH_ROLE): the role of the product\'s launch constraint').isChecked());
  await snap('action-create');
  await page.getByRole('button', { name: 'Create action' }).click();
  await page.getByText(`Action ${ACTION} was created and is ready to use.`).waitFor();
  await snap('actions-created');
});

test('Step 3: the admin associates it with every version of Linux Desktop', async () => {
  await page.getByLabel(`Select ${ACTION}`).check();
  await page.getByRole('button', { name: 'Associate action' }).click();
  await page.getByRole('heading', { name: `Associate ${ACTION}` }).waitFor();
  await page.getByLabel('Product').selectOption({ label: 'Linux Desktop' });
  await page.getByLabel('Select all versions').check();
  assert.ok(await page.getByLabel('Select v1.0').isChecked());
  assert.ok(await page.getByLabel('Select v2.0').isChecked());
  await snap('action-associate');
  await page.getByRole('button', { name: 'Associate action' }).click();
  await page.getByText(`${ACTION} is now associated with Linux Desktop (versions v1.0, v2.0).`).waitFor();
  await page.getByRole('cell', { name: 'v2.0', exact: true }).waitFor();
  await snap('action-associated');
});

/** No error banner on the page (every call it made was allowed and answered). */
async function noErrors() {
  await page.waitForFunction(() => !document.querySelector('main .loading'));
  const errors = await page.locator('main .banner-error').allTextContents();
  assert.deepEqual(errors, []);
}

test('the admin\'s other pages: users, policies, portfolios, products', async () => {
  await nav('Users');
  await page.getByRole('link', { name: 'enduser' }).click();
  await page.getByRole('heading', { name: 'enduser', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Endusers' }).waitFor();
  await noErrors();
  await snap('user-enduser');
  await nav('Policies');
  await page.getByRole('link', { name: 'ServiceCatalogEndUserPolicy' }).click();
  await page.getByRole('heading', { name: 'ServiceCatalogEndUserPolicy', level: 1 }).waitFor();
  await page.getByRole('cell', { name: 'DEFAULT' }).waitFor();
  await noErrors();
  await snap('policy');
  await nav('Portfolios');
  await page.getByRole('link', { name: 'Engineering Tools' }).click();
  await page.getByRole('heading', { name: 'Engineering Tools', level: 1 }).waitFor();
  await page.getByRole('cell', { name: 'LAUNCH', exact: true }).waitFor();
  await page.getByText(`arn:aws:iam::${ACCOUNT}:group/Endusers`).waitFor();
  await noErrors();
  await snap('portfolio');
  await nav('Product list');
  await page.getByRole('link', { name: 'Linux Desktop' }).click();
  await page.getByRole('heading', { name: 'Linux Desktop', level: 1 }).waitFor();
  await page.getByRole('cell', { name: 'v2.0', exact: true }).waitFor();
  await noErrors();
  await snap('product');
  await nav('Service actions');
  await page.getByRole('link', { name: ACTION }).click();
  await page.getByRole('heading', { name: ACTION, level: 1 }).waitFor();
  await page.getByRole('cell', { name: 'v1.0', exact: true }).waitFor();
  await noErrors();
  await snap('action');
  await signOut();
});

/** Opens the end user's linux-desktop-1 from the Provisioned products list. */
async function openProvisioned() {
  await nav('Provisioned products');
  await page.getByRole('heading', { name: 'Provisioned products' }).waitFor();
  await page.getByRole('link', { name: 'linux-desktop-1' }).click();
  await page.getByRole('heading', { name: 'linux-desktop-1' }).waitFor();
}

/** Runs the action from the Actions menu; edit(dialog) may change the inputs. */
async function execute(edit, action = ACTION) {
  await page.getByRole('button', { name: 'Actions' }).click();
  await page.getByRole('menuitem', { name: action }).click();
  const dialog = page.getByRole('dialog', { name: `Execute ${action}` });
  await dialog.waitFor();
  const target = dialog.getByLabel('InstanceId (target)');
  await target.waitFor();
  assert.match(await target.inputValue(), /^i-[0-9a-f]{17}$/); // the TARGET default: the product's instance
  if (edit) await edit(target);
  await snap(edit ? 'execute-dialog-edited' : action === ACTION ? 'execute-dialog' : 'execute-dialog-web');
  await dialog.getByRole('button', { name: 'Execute action' }).click();
  await page.getByText(`The action ${action} was sent.`).waitFor();
}

/** The id of the newest event shown, or ''. */
async function newestId() {
  return page.evaluate(() => document.querySelector('ol.events > li details')?.dataset.record || '');
}

/** The newest event, once it is a new one (not `before`) and done: its status and text. */
async function newestEvent(before) {
  const ev = page.locator('ol.events > li').first().locator('details');
  await page.waitForFunction((prev) => {
    const d = document.querySelector('ol.events > li details');
    return d && d.dataset.record !== prev && /Service action/.test(d.textContent) &&
      ['SUCCEEDED', 'FAILED'].includes(d.dataset.status);
  }, before, { timeout: 30000 });
  return { status: await ev.getAttribute('data-status'), text: await ev.textContent(), ev };
}

test('Step 4: the end user runs the action and the record succeeds', async () => {
  await signIn('enduser', PASSWORDS.enduser);
  await page.getByRole('heading', { name: 'Welcome, enduser' }).waitFor();
  await nav('Provisioned products');
  await page.getByRole('link', { name: 'linux-desktop-1' }).waitFor();
  await snap('provisioned-list');
  await openProvisioned();
  await snap('provisioned-details');
  await page.locator('ol.events').waitFor();
  const before = await newestId();
  await execute();
  // while the instance stops and starts, the page shows progress and updates by itself
  await page.getByRole('progressbar').first().waitFor();
  await snap('execution-in-progress');
  const { status } = await newestEvent(before);
  assert.equal(await page.getByRole('progressbar').count(), 0);
  assert.equal(status, 'SUCCEEDED');
  await snap('execution-succeeded');
});

test('Step 5: a failing execution shows its troubleshooting message in the events', async () => {
  const before = await newestId();
  await execute(async (target) => target.fill(NOT_IN_PRODUCT));
  const { status, ev } = await newestEvent(before);
  assert.equal(status, 'FAILED');
  const message = `The following values for the parameter are not allowed because they are not in the provisioned product: ${NOT_IN_PRODUCT}`;
  await ev.getByRole('cell', { name: message }).waitFor(); // the record's Outputs
  await snap('execution-failed');
});

test('Step 6: restarting the web server shows the command\'s output in the event', async () => {
  const before = await newestId();
  await execute(null, WEB_ACTION);
  const { status, ev } = await newestEvent(before);
  assert.equal(status, 'SUCCEEDED');
  const out = ev.locator('.command-output').first();
  await out.waitFor();
  const text = await out.textContent();
  assert.match(text, /restartWebServer: i-[0-9a-f]{17} .*Success.*exit code 0/s);
  assert.match(text, /started the web server \(pid \d+\) on 127\.0\.0\.1:\d+/);
  await snap('execution-command-output');
});

test('the end user\'s own pages: products to launch', async () => {
  await nav('Products');
  await page.getByRole('link', { name: 'Linux Desktop' }).first().waitFor();
  await snap('products');
  await page.getByRole('link', { name: 'Launch Linux Desktop' }).click();
  await page.getByRole('heading', { name: 'Launch Linux Desktop' }).waitFor();
  await page.getByLabel('InstanceType').waitFor();
  await snap('launch');
});

test('an expired session returns to sign-in with a message', async () => {
  await page.evaluate(() => {
    const k = 'catalogd.console.session';
    const s = JSON.parse(sessionStorage.getItem(k));
    s.Credentials.Expiration = new Date(Date.now() - 1000).toISOString();
    sessionStorage.setItem(k, JSON.stringify(s));
  });
  await page.goto(`${BASE}/provisioned`);
  await page.getByText('Your session expired. Sign in again to continue.').waitFor();
  await snap('signin-expired');
});

test('a narrow screen still shows navigation and content', async () => {
  await page.setViewportSize({ width: 420, height: 860 });
  await signIn('enduser', PASSWORDS.enduser);
  await page.getByRole('heading', { name: 'Welcome, enduser' }).waitFor();
  await openProvisioned();
  await snap('narrow-provisioned-details');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});
