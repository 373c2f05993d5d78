// iam.js - IAM pages: groups, users, managed policies, and the JSON policy editor
// ("Edit policy": a new default version through CreatePolicyVersion).
import {
  ListGroupsCommand, GetGroupCommand, ListAttachedGroupPoliciesCommand, ListGroupPoliciesCommand,
  GetGroupPolicyCommand, ListUsersCommand, GetUserCommand, ListGroupsForUserCommand,
  ListAttachedUserPoliciesCommand, ListUserPoliciesCommand, GetUserPolicyCommand, ListPoliciesCommand,
  GetPolicyCommand, GetPolicyVersionCommand, ListPolicyVersionsCommand, CreatePolicyVersionCommand,
  DeletePolicyVersionCommand, ListEntitiesForPolicyCommand,
} from '@aws-sdk/client-iam';
import { send, sendAll } from '../aws.js';
import { h, table, link, fmtDate, errorBanner, spinner, section, details, banner, badge, field, errorCode, errorText } from '../ui.js';
import { navigate, flash } from '../router.js';

const enc = encodeURIComponent;
const policyPath = (arn) => `/iam/policies/${enc(arn)}`;

/** IAM hands policy documents out URL-encoded; the SDK leaves them so. */
export function decodeDoc(doc) {
  if (!doc) return '';
  if (doc.trim().startsWith('{')) return doc;
  try {
    return decodeURIComponent(doc);
  } catch {
    return doc;
  }
}

function pretty(doc) {
  const text = decodeDoc(doc);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Loads into slot: shows a spinner, then fill(result) or the error banner. */
async function load(slot, what, fn, fill) {
  slot.replaceChildren(spinner());
  try {
    const r = await fn();
    slot.replaceChildren();
    fill(r);
  } catch (err) {
    slot.replaceChildren(errorBanner(`Could not load ${what}`, err));
  }
}

function policyTable(list, empty) {
  return table({
    rows: list,
    empty,
    columns: [
      { label: 'Policy name', render: (p) => link(policyPath(p.PolicyArn), p.PolicyName) },
      { label: 'Type', render: (p) => (p.PolicyArn.includes(':aws:policy/') ? 'AWS managed' : 'Customer managed') },
      { label: '', render: (p) => (p.PolicyArn.includes(':aws:policy/') ? '' : link(`${policyPath(p.PolicyArn)}/edit`, 'Edit policy', { 'aria-label': `Edit policy ${p.PolicyName}` })) },
    ],
  });
}

function inlineList(names, get, empty) {
  if (!names.length) return h('div', { class: 'empty' }, empty);
  return h('ul', { class: 'inline-policies' }, names.map((n) => {
    const body = h('div');
    const d = h('details', {}, h('summary', {}, n), body);
    d.addEventListener('toggle', () => {
      if (d.open && !body.childElementCount) {
        load(body, `policy ${n}`, () => get(n), (r) => body.append(h('pre', { class: 'code' }, pretty(r.PolicyDocument))));
      }
    });
    return h('li', {}, d);
  }));
}

export async function groupsPage(ctx) {
  ctx.view.append(h('h1', {}, 'Groups'), h('p', { class: 'lead' }, 'Groups give their users the policies attached to them.'));
  const slot = h('div');
  ctx.view.append(slot);
  await load(slot, 'groups', () => sendAll('iam', (m) => new ListGroupsCommand({ Marker: m }), (o) => o.Groups, (o) => o.IsTruncated && o.Marker), (groups) => {
    slot.append(table({
      rows: groups,
      empty: 'There are no groups in this account.',
      columns: [
        { label: 'Group name', render: (g) => link(`/iam/groups/${enc(g.GroupName)}`, g.GroupName) },
        { label: 'Path', render: (g) => g.Path },
        { label: 'Created', render: (g) => fmtDate(g.CreateDate) },
      ],
    }));
  });
}

export async function groupPage(ctx) {
  const name = ctx.params.name;
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/iam/groups', 'Groups'), ' / ', name), h('h1', {}, name));
  const users = h('div');
  const managed = h('div');
  const inline = h('div');
  ctx.view.append(
    section('Users', null, users),
    section('Permissions', null, h('h3', {}, 'Managed policies'), managed, h('h3', {}, 'Inline policies'), inline));
  await Promise.all([
    load(users, 'the group', () => send('iam', new GetGroupCommand({ GroupName: name })), (r) => {
      users.append(table({
        rows: r.Users || [],
        empty: 'This group has no users.',
        columns: [
          { label: 'User name', render: (u) => link(`/iam/users/${enc(u.UserName)}`, u.UserName) },
          { label: 'Created', render: (u) => fmtDate(u.CreateDate) },
        ],
      }));
    }),
    load(managed, 'attached policies', () => send('iam', new ListAttachedGroupPoliciesCommand({ GroupName: name })),
      (r) => managed.append(policyTable(r.AttachedPolicies || [], 'No managed policies are attached.'))),
    load(inline, 'inline policies', () => send('iam', new ListGroupPoliciesCommand({ GroupName: name })),
      (r) => inline.append(inlineList(r.PolicyNames || [], (n) => send('iam', new GetGroupPolicyCommand({ GroupName: name, PolicyName: n })), 'No inline policies.'))),
  ]);
}

export async function usersPage(ctx) {
  ctx.view.append(h('h1', {}, 'Users'));
  const slot = h('div');
  ctx.view.append(slot);
  await load(slot, 'users', () => sendAll('iam', (m) => new ListUsersCommand({ Marker: m }), (o) => o.Users, (o) => o.IsTruncated && o.Marker), (list) => {
    slot.append(table({
      rows: list,
      empty: 'There are no IAM users in this account.',
      columns: [
        { label: 'User name', render: (u) => link(`/iam/users/${enc(u.UserName)}`, u.UserName) },
        { label: 'Path', render: (u) => u.Path },
        { label: 'ARN', render: (u) => h('code', {}, u.Arn) },
        { label: 'Created', render: (u) => fmtDate(u.CreateDate) },
      ],
    }));
  });
}

export async function userPage(ctx) {
  const name = ctx.params.name;
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/iam/users', 'Users'), ' / ', name), h('h1', {}, name));
  const summary = h('div');
  const groups = h('div');
  const managed = h('div');
  const inline = h('div');
  ctx.view.append(summary, section('Groups', null, groups),
    section('Permissions', null, h('h3', {}, 'Managed policies'), managed, h('h3', {}, 'Inline policies'), inline));
  await Promise.all([
    load(summary, 'the user', () => send('iam', new GetUserCommand({ UserName: name })), (r) => summary.append(details([
      ['ARN', h('code', {}, r.User.Arn)], ['User ID', r.User.UserId], ['Path', r.User.Path], ['Created', fmtDate(r.User.CreateDate)]]))),
    load(groups, 'groups', () => send('iam', new ListGroupsForUserCommand({ UserName: name })), (r) => groups.append(table({
      rows: r.Groups || [],
      empty: 'This user is in no group.',
      columns: [{ label: 'Group name', render: (g) => link(`/iam/groups/${enc(g.GroupName)}`, g.GroupName) }],
    }))),
    load(managed, 'attached policies', () => send('iam', new ListAttachedUserPoliciesCommand({ UserName: name })),
      (r) => managed.append(policyTable(r.AttachedPolicies || [], 'No managed policies are attached.'))),
    load(inline, 'inline policies', () => send('iam', new ListUserPoliciesCommand({ UserName: name })),
      (r) => inline.append(inlineList(r.PolicyNames || [], (n) => send('iam', new GetUserPolicyCommand({ UserName: name, PolicyName: n })), 'No inline policies.'))),
  ]);
}

export async function policiesPage(ctx) {
  const scope = ctx.query.get('scope') || 'Local';
  const pick = h('select', { name: 'scope' },
    [['Local', 'Customer managed'], ['AWS', 'AWS managed'], ['All', 'All']].map(([v, t]) => h('option', { value: v, selected: v === scope }, t)));
  pick.addEventListener('change', () => navigate(`/iam/policies?scope=${pick.value}`, { replace: true }));
  ctx.view.append(h('h1', {}, 'Policies'), h('div', { class: 'toolbar' }, field('Show', pick)));
  const slot = h('div');
  ctx.view.append(slot);
  await load(slot, 'policies', () => sendAll('iam', (m) => new ListPoliciesCommand({ Scope: scope, Marker: m }), (o) => o.Policies, (o) => o.IsTruncated && o.Marker), (list) => {
    slot.append(table({
      rows: list,
      empty: scope === 'Local' ? 'There are no customer managed policies yet.' : 'No policies.',
      columns: [
        { label: 'Policy name', render: (p) => link(policyPath(p.Arn), p.PolicyName) },
        { label: 'Type', render: (p) => (p.Arn.includes(':aws:policy/') ? 'AWS managed' : 'Customer managed') },
        { label: 'Attachments', render: (p) => String(p.AttachmentCount ?? 0) },
        { label: 'Default version', render: (p) => p.DefaultVersionId },
        { label: 'Description', render: (p) => p.Description || '' },
      ],
    }));
  });
}

export async function policyPage(ctx) {
  const arn = ctx.params.arn;
  const head = h('div');
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/iam/policies', 'Policies'), ' / ', arn.split('/').pop()), head);
  let pol;
  try {
    pol = (await send('iam', new GetPolicyCommand({ PolicyArn: arn }))).Policy;
  } catch (err) {
    ctx.view.append(h('h1', {}, arn.split('/').pop()), errorBanner('Could not load the policy', err));
    return;
  }
  const aws = arn.includes(':aws:policy/');
  head.append(h('div', { class: 'title-row' }, h('h1', {}, pol.PolicyName),
    aws ? null : h('a', { class: 'button primary', href: `/console${policyPath(arn)}/edit` }, 'Edit policy')));
  ctx.view.append(details([['ARN', h('code', {}, pol.Arn)], ['Description', pol.Description], ['Default version', pol.DefaultVersionId],
    ['Attachments', String(pol.AttachmentCount ?? 0)], ['Updated', fmtDate(pol.UpdateDate)]]));
  const docSlot = h('div');
  const versions = h('div');
  const attached = h('div');
  ctx.view.append(section('Policy document', null, docSlot), section('Versions', null, versions), section('Attached to', null, attached));
  await Promise.all([
    load(docSlot, 'the document', () => send('iam', new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: pol.DefaultVersionId })),
      (r) => docSlot.append(h('pre', { class: 'code', 'aria-label': 'Policy document JSON' }, pretty(r.PolicyVersion.Document)))),
    load(versions, 'versions', () => send('iam', new ListPolicyVersionsCommand({ PolicyArn: arn })), (r) => versions.append(table({
      rows: r.Versions || [],
      columns: [
        { label: 'Version', render: (v) => v.VersionId },
        { label: 'Default', render: (v) => (v.IsDefaultVersion ? badge('DEFAULT') : '') },
        { label: 'Created', render: (v) => fmtDate(v.CreateDate) },
      ],
    }))),
    load(attached, 'attachments', () => send('iam', new ListEntitiesForPolicyCommand({ PolicyArn: arn })), (r) => {
      const rows = [
        ...(r.PolicyGroups || []).map((g) => ({ kind: 'Group', name: g.GroupName, path: `/iam/groups/${enc(g.GroupName)}` })),
        ...(r.PolicyUsers || []).map((u) => ({ kind: 'User', name: u.UserName, path: `/iam/users/${enc(u.UserName)}` })),
        ...(r.PolicyRoles || []).map((x) => ({ kind: 'Role', name: x.RoleName })),
      ];
      attached.append(table({
        rows,
        empty: 'This policy is not attached to anything.',
        columns: [{ label: 'Name', render: (e) => (e.path ? link(e.path, e.name) : e.name) }, { label: 'Type', render: (e) => e.kind }],
      }));
    }),
  ]);
}

/** Where a JSON.parse error points: "line L, column C" when the engine says a position. */
function jsonErrorWhere(text, err) {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return ` (line ${line}, column ${col})`;
}

function statementSummary(doc) {
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement].filter(Boolean);
  const arr = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return table({
    rows: list,
    caption: 'What the policy allows and denies',
    empty: 'The policy has no statements.',
    columns: [
      { label: 'Sid', render: (s) => s.Sid || '—' },
      { label: 'Effect', render: (s) => String(s.Effect) },
      { label: 'Actions', render: (s) => h('ul', { class: 'plain' }, [...arr(s.Action), ...arr(s.NotAction).map((a) => `NOT ${a}`)].map((a) => h('li', {}, h('code', {}, a)))) },
      { label: 'Resources', render: (s) => h('ul', { class: 'plain' }, [...arr(s.Resource), ...arr(s.NotResource).map((a) => `NOT ${a}`)].map((a) => h('li', {}, h('code', {}, a)))) },
    ],
  });
}

export async function editPolicyPage(ctx) {
  const arn = ctx.params.arn;
  const name = arn.split('/').pop();
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/iam/policies', 'Policies'), ' / ', link(policyPath(arn), name), ' / Edit'),
    h('h1', {}, `Edit ${name}`));
  let pol;
  let versions;
  let doc;
  try {
    pol = (await send('iam', new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    versions = (await send('iam', new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions || [];
    doc = (await send('iam', new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: pol.DefaultVersionId }))).PolicyVersion.Document;
  } catch (err) {
    ctx.view.append(errorBanner('Could not load the policy', err));
    return;
  }
  const errId = 'policy-error';
  const editor = h('textarea', { id: 'policy-json', class: 'code-editor', rows: '24', spellcheck: 'false', autocapitalize: 'none', autocomplete: 'off', 'aria-describedby': errId }, pretty(doc));
  editor.value = pretty(doc);
  const errorPanel = h('div', { id: errId, class: 'editor-error', 'aria-live': 'assertive' });
  const showError = (title, message) => {
    errorPanel.replaceChildren(banner('error', title, message));
    editor.setAttribute('aria-invalid', 'true');
  };
  const clearError = () => {
    errorPanel.replaceChildren();
    editor.removeAttribute('aria-invalid');
  };
  const review = h('div', { class: 'review', hidden: true });
  const format = h('button', { type: 'button', class: 'secondary' }, 'Format JSON');
  const reviewBtn = h('button', { type: 'button', class: 'primary' }, 'Review policy');
  const editPane = h('div', { class: 'edit-pane' },
    h('label', { for: 'policy-json', class: 'block' }, 'Policy document (JSON)'),
    editor, errorPanel,
    h('div', { class: 'buttons' }, link(policyPath(arn), 'Cancel', { class: 'button secondary' }), format, reviewBtn));
  ctx.view.append(h('p', { class: 'lead' }, 'Edit the JSON, review the change, then save it as the new default version.'), editPane, review);

  const parse = () => {
    try {
      return JSON.parse(editor.value);
    } catch (err) {
      showError('The policy is not valid JSON', `${err.message}${jsonErrorWhere(editor.value, err)}`);
      editor.focus();
      return null;
    }
  };
  format.addEventListener('click', () => {
    const d = parse();
    if (d) {
      clearError();
      editor.value = JSON.stringify(d, null, 2);
    }
  });
  editor.addEventListener('input', clearError);
  reviewBtn.addEventListener('click', () => {
    const d = parse();
    if (!d) return;
    clearError();
    const oldest = versions.filter((v) => !v.IsDefaultVersion).sort((a, b) => new Date(a.CreateDate) - new Date(b.CreateDate))[0];
    const full = versions.length >= 5;
    const save = h('button', { type: 'button', class: 'primary' }, 'Save changes');
    const back = h('button', { type: 'button', class: 'secondary' }, 'Back to editor');
    const status = h('div');
    review.replaceChildren(...[
      h('h2', {}, 'Review policy'),
      h('p', {}, `Saving creates a new version of ${pol.PolicyName} and makes it the default: it takes effect at once for every user, group and role it is attached to.`),
      full && oldest ? banner('warning', 'Version limit', `IAM keeps five versions of a policy. Saving deletes the oldest non-default version, ${oldest.VersionId}.`) : null,
      statementSummary(d),
      status,
      h('div', { class: 'buttons' }, back, save)].filter(Boolean));
    editPane.hidden = true;
    review.hidden = false;
    review.querySelector('h2').setAttribute('tabindex', '-1');
    review.querySelector('h2').focus();
    back.addEventListener('click', () => { review.hidden = true; editPane.hidden = false; editor.focus(); });
    save.addEventListener('click', async () => {
      save.disabled = true;
      back.disabled = true;
      save.textContent = 'Saving…';
      try {
        if (full && oldest) await send('iam', new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.VersionId }));
        const out = await send('iam', new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: editor.value, SetAsDefault: true }));
        flash('success', `${pol.PolicyName} was updated: version ${out.PolicyVersion.VersionId} is now the default.`);
        navigate(policyPath(arn));
      } catch (err) {
        review.hidden = true;
        editPane.hidden = false;
        if (full && oldest) versions = versions.filter((v) => v.VersionId !== oldest.VersionId);
        showError(errorCode(err) === 'MalformedPolicyDocument' ? 'IAM refused the policy document' : 'The policy was not saved', errorText(err));
        editor.focus();
      }
    });
  });
}
