// actions.js - service actions: the list, "Create new action" (a Systems Manager
// Automation document, its parameters and targets, and the role it runs as), an
// action's page, and "Associate action" with product versions.
import {
  ListServiceActionsCommand, CreateServiceActionCommand, DescribeServiceActionCommand, DeleteServiceActionCommand,
  ListProvisioningArtifactsForServiceActionCommand, ListProvisioningArtifactsCommand,
  BatchAssociateServiceActionWithProvisioningArtifactCommand, DisassociateServiceActionFromProvisioningArtifactCommand,
} from '@aws-sdk/client-service-catalog';
import { ListDocumentsCommand, DescribeDocumentCommand } from '@aws-sdk/client-ssm';
import { send, sendAll } from '../aws.js';
import { h, table, link, errorBanner, spinner, section, details, field, dialog, token, banner, nextId } from '../ui.js';
import { navigate, flash } from '../router.js';
import { adminProducts } from './catalog.js';

const enc = encodeURIComponent;

function listActions() {
  return sendAll('sc', (t) => new ListServiceActionsCommand({ PageToken: t }), (o) => o.ServiceActionSummaries, (o) => o.NextPageToken);
}

export async function actionsPage(ctx) {
  let chosen = null;
  const create = link('/catalog/actions/new', 'Create new action', { class: 'button primary' });
  const associate = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Associate action');
  const del = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Delete');
  ctx.view.append(h('div', { class: 'title-row' }, h('h1', {}, 'Service actions'), h('div', { class: 'actions' }, del, associate, create)),
    h('p', { class: 'lead' }, 'Service actions let end users run approved Systems Manager Automation documents on the products they launched.'));
  const slot = h('div', {}, spinner());
  ctx.view.append(slot);
  associate.addEventListener('click', () => chosen && navigate(`/catalog/actions/${enc(chosen.Id)}/associate`));
  del.addEventListener('click', () => chosen && dialog({
    title: `Delete ${chosen.Name}?`,
    body: h('p', {}, 'End users lose this action on every product version it is associated with. An action that is still associated cannot be deleted.'),
    confirmLabel: 'Delete', danger: true,
    onConfirm: async () => {
      await send('sc', new DeleteServiceActionCommand({ Id: chosen.Id }));
      flash('success', `Action ${chosen.Name} was deleted.`);
      navigate('/catalog/actions', { replace: true });
    },
  }));
  try {
    const list = await listActions();
    slot.replaceChildren(table({
      rows: list,
      select: 'radio',
      rowKey: (a) => a.Id,
      empty: h('div', {}, h('p', {}, 'There are no service actions yet.'), link('/catalog/actions/new', 'Create your first action')),
      onSelect: (rows) => {
        chosen = rows[0] || null;
        associate.disabled = !chosen;
        del.disabled = !chosen;
      },
      columns: [
        { label: 'Name', text: (a) => a.Name, render: (a) => link(`/catalog/actions/${enc(a.Id)}`, a.Name) },
        { label: 'Description', render: (a) => a.Description || '' },
        { label: 'Document', render: (a) => a.DefinitionType },
        { label: 'ID', render: (a) => h('code', {}, a.Id) },
      ],
    }));
  } catch (err) {
    slot.replaceChildren(errorBanner('Could not list service actions', err));
  }
}

/** One "parameter and target" row: document parameter, and TARGET or TEXT_VALUE. */
function paramRow(params, targetType, initial, onRemove) {
  const pid = nextId('param');
  const tid = nextId('target');
  const name = h('select', { id: pid }, params.map((p) => h('option', { value: p.Name, selected: p.Name === initial.Name }, p.Name)));
  const type = h('select', { id: tid },
    h('option', { value: 'TARGET', selected: initial.Type !== 'TEXT_VALUE' }, `Target: ${targetType ? targetType.replace(/^\//, '') : 'resource of the document\'s TargetType'} (the provisioned product's)`),
    h('option', { value: 'TEXT_VALUE', selected: initial.Type === 'TEXT_VALUE' }, 'Text value (the end user types it)'));
  const remove = h('button', { type: 'button', class: 'link-button', 'aria-label': 'Remove this parameter' }, 'Remove');
  const row = h('div', { class: 'param-row' },
    h('div', { class: 'field' }, h('label', { for: pid }, 'SSM document parameter'), name),
    h('div', { class: 'field' }, h('label', { for: tid }, 'Target'), type),
    remove);
  remove.addEventListener('click', () => { row.remove(); onRemove(); });
  row.value = () => ({ Name: name.value, Type: type.value });
  return row;
}

export async function createActionPage(ctx) {
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/catalog/actions', 'Service actions'), ' / Create'),
    h('h1', {}, 'Create action'));
  const source = h('select', { name: 'source' }, h('option', { value: 'Amazon' }, 'Amazon documents'), h('option', { value: 'Self' }, 'Own documents'));
  const filter = h('input', { type: 'search', placeholder: 'Filter by name' });
  const docSlot = h('div', {}, spinner());
  const docInfo = h('div');
  const name = h('input', { required: true, maxlength: '256' });
  const desc = h('textarea', { rows: '2', maxlength: '1024' });
  const paramsBox = h('div', { class: 'params' }, h('p', { class: 'empty' }, 'Choose a document first: its parameters appear here.'));
  const addParam = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Add parameter');
  const roleLaunch = h('input', { type: 'radio', name: 'role', value: 'LAUNCH_ROLE', checked: true, id: 'role-launch' });
  const roleArn = h('input', { type: 'radio', name: 'role', value: 'ARN', id: 'role-arn' });
  const roleNone = h('input', { type: 'radio', name: 'role', value: 'NONE', id: 'role-none' });
  const arn = h('input', { id: 'role-arn-value', placeholder: 'arn:aws:iam::123456789012:role/MyActionRole', size: '50', disabled: true, 'aria-label': 'Role ARN' });
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Create action');
  let docs = [];
  let doc = null;
  let docParams = [];

  const syncRole = () => { arn.disabled = !roleArn.checked; if (roleArn.checked) arn.focus(); };
  [roleLaunch, roleArn, roleNone].forEach((r) => r.addEventListener('change', syncRole));
  const rows = () => [...paramsBox.querySelectorAll('.param-row')];
  const syncAdd = () => { addParam.disabled = !doc || docParams.length === 0 || rows().length >= docParams.length; };
  addParam.addEventListener('click', () => {
    const used = new Set(rows().map((r) => r.value().Name));
    const next = docParams.find((p) => !used.has(p.Name)) || docParams[0];
    const row = paramRow(docParams, doc.TargetType, { Name: next.Name, Type: 'TEXT_VALUE' }, syncAdd);
    paramsBox.append(row);
    row.querySelector('select').focus();
    syncAdd();
  });

  const chooseDoc = async (d) => {
    doc = null;
    submit.disabled = true;
    docInfo.replaceChildren(spinner('Reading the document…'));
    paramsBox.replaceChildren();
    try {
      const out = await send('ssm', new DescribeDocumentCommand({ Name: d.Name }));
      doc = out.Document;
      docParams = doc.Parameters || [];
      docInfo.replaceChildren(details([['Document', doc.Name], ['Description', doc.Description], ['Target type', doc.TargetType || 'none (service actions need one)'],
        ['Version', doc.DefaultVersion || doc.DocumentVersion]]));
      if (!name.value || docs.some((x) => x.Name === name.value)) name.value = doc.Name;
      if (!desc.value) desc.value = doc.Description || '';
      const first = docParams.find((p) => /InstanceId/i.test(p.Name)) || docParams[0];
      if (first) paramsBox.append(paramRow(docParams, doc.TargetType, { Name: first.Name, Type: 'TARGET' }, syncAdd));
      else paramsBox.append(h('p', { class: 'empty' }, 'This document takes no parameters.'));
      submit.disabled = false;
      syncAdd();
    } catch (err) {
      docInfo.replaceChildren(errorBanner(`Could not read ${d.Name}`, err));
    }
  };
  const showDocs = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = docs.filter((d) => !q || d.Name.toLowerCase().includes(q));
    docSlot.replaceChildren(table({
      rows: shown,
      select: 'radio',
      rowKey: (d) => d.Name,
      selected: doc ? [doc.Name] : [],
      caption: 'Automation documents',
      empty: source.value === 'Self' ? 'You own no Automation documents. Create one with ssm create-document, or pick from Amazon documents.' : 'No document matches.',
      onSelect: (r) => r[0] && chooseDoc(r[0]),
      columns: [
        { label: 'Name', text: (d) => d.Name, render: (d) => d.Name },
        { label: 'Target type', render: (d) => d.TargetType || '—' },
        { label: 'Owner', render: (d) => d.Owner },
        { label: 'Version', render: (d) => d.DocumentVersion || '' },
      ],
    }));
  };
  const loadDocs = async () => {
    docSlot.replaceChildren(spinner('Listing documents…'));
    try {
      docs = await sendAll('ssm', (t) => new ListDocumentsCommand({
        Filters: [{ Key: 'Owner', Values: [source.value] }, { Key: 'DocumentType', Values: ['Automation'] }], NextToken: t,
      }), (o) => o.DocumentIdentifiers, (o) => o.NextToken);
      showDocs();
    } catch (err) {
      docSlot.replaceChildren(errorBanner('Could not list documents', err));
    }
  };
  source.addEventListener('change', loadDocs);
  filter.addEventListener('input', showDocs);

  const form = h('form', { class: 'form wide' },
    section('Define', null,
      h('p', {}, 'Choose the Systems Manager Automation document that defines the action.'),
      h('div', { class: 'toolbar' }, field('Document source', source), field('Find a document', filter)),
      docSlot, docInfo),
    section('Action details', null,
      field('Name', name, 'End users see this name in the Actions menu.'),
      field('Description', desc, 'Tell end users what the action does.')),
    section('Parameter and target configuration', addParam,
      h('p', {}, 'A TARGET parameter is filled with the provisioned product\'s resources of the document\'s target type; a text value is typed by the end user.'),
      paramsBox),
    section('Permissions', null,
      h('fieldset', {}, h('legend', {}, 'Role the action runs as'),
        h('div', { class: 'radio' }, roleLaunch, h('label', { for: 'role-launch' }, 'Use the launch role (LAUNCH_ROLE): the role of the product\'s launch constraint')),
        h('div', { class: 'radio' }, roleArn, h('label', { for: 'role-arn' }, 'Use a custom role ARN'), arn),
        h('div', { class: 'radio' }, roleNone, h('label', { for: 'role-none' }, 'Use the end user\'s own permissions')))),
    status,
    h('div', { class: 'buttons' }, link('/catalog/actions', 'Cancel', { class: 'button secondary' }), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    if (!doc) { status.append(banner('error', 'Choose a document', 'Pick the Automation document that defines the action.')); return; }
    if (!name.value.trim()) { status.append(banner('error', 'Name the action', 'Enter a name.')); name.focus(); return; }
    if (roleArn.checked && !arn.value.trim()) { status.append(banner('error', 'Role ARN missing', 'Enter the role ARN, or choose the launch role.')); arn.focus(); return; }
    const definition = {
      Name: doc.Name,
      Version: doc.DefaultVersion || doc.DocumentVersion || '1',
      Parameters: JSON.stringify(rows().map((r) => r.value())),
    };
    if (roleLaunch.checked) definition.AssumeRole = 'LAUNCH_ROLE';
    if (roleArn.checked) definition.AssumeRole = arn.value.trim();
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const out = await send('sc', new CreateServiceActionCommand({
        Name: name.value.trim(), Description: desc.value.trim() || undefined, DefinitionType: 'SSM_AUTOMATION',
        Definition: definition, IdempotencyToken: token(),
      }));
      const s = out.ServiceActionDetail.ServiceActionSummary;
      flash('success', `Action ${s.Name} was created and is ready to use. Select it and choose Associate action to offer it on product versions.`);
      navigate('/catalog/actions');
    } catch (err) {
      status.append(errorBanner('The action was not created', err));
      submit.disabled = false;
      submit.textContent = 'Create action';
    }
  });
  ctx.view.append(form);
  await loadDocs();
}

export async function actionPage(ctx) {
  const id = ctx.params.id;
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/catalog/actions', 'Service actions'), ' / ', id));
  let a;
  try {
    a = (await send('sc', new DescribeServiceActionCommand({ Id: id }))).ServiceActionDetail;
  } catch (err) {
    ctx.view.append(h('h1', {}, id), errorBanner('Could not load the action', err));
    return;
  }
  const s = a.ServiceActionSummary;
  const def = a.Definition || {};
  let params = [];
  try { params = JSON.parse(def.Parameters || '[]'); } catch { params = []; }
  ctx.view.append(h('div', { class: 'title-row' }, h('h1', {}, s.Name), link(`/catalog/actions/${enc(id)}/associate`, 'Associate action', { class: 'button primary' })),
    details([['ID', h('code', {}, s.Id)], ['Description', s.Description], ['Document', def.Name], ['Document version', def.Version],
      ['Role', def.AssumeRole || 'the end user\'s own permissions'],
      ['Parameters', params.length ? h('ul', { class: 'plain' }, params.map((p) => h('li', {}, `${p.Name}: ${p.Type}`))) : 'none']]));
  const slot = h('div', {}, spinner());
  ctx.view.append(section('Associated product versions', null, slot));
  const loadAssoc = async () => {
    try {
      const list = await sendAll('sc', (t) => new ListProvisioningArtifactsForServiceActionCommand({ ServiceActionId: id, PageToken: t }),
        (o) => o.ProvisioningArtifactViews, (o) => o.NextPageToken);
      slot.replaceChildren(table({
        rows: list,
        empty: h('div', {}, h('p', {}, 'Not associated with any product version yet, so no end user sees it.'), link(`/catalog/actions/${enc(id)}/associate`, 'Associate action')),
        columns: [
          { label: 'Product', render: (v) => v.ProductViewSummary?.Name || v.ProductViewSummary?.ProductId },
          { label: 'Version', render: (v) => v.ProvisioningArtifact?.Name },
          { label: 'Version ID', render: (v) => h('code', {}, v.ProvisioningArtifact?.Id) },
          { label: '', render: (v) => h('button', { type: 'button', class: 'link-button', 'aria-label': `Disassociate from ${v.ProvisioningArtifact?.Name}`, onclick: () => dialog({
            title: 'Disassociate action?', body: h('p', {}, `End users of ${v.ProductViewSummary?.Name} ${v.ProvisioningArtifact?.Name} will no longer see ${s.Name}.`),
            confirmLabel: 'Disassociate', danger: true,
            onConfirm: async () => {
              await send('sc', new DisassociateServiceActionFromProvisioningArtifactCommand({ ServiceActionId: id, ProductId: v.ProductViewSummary.ProductId, ProvisioningArtifactId: v.ProvisioningArtifact.Id }));
              loadAssoc();
            },
          }) }, 'Disassociate') },
        ],
      }));
    } catch (err) {
      slot.replaceChildren(errorBanner('Could not list the associations', err));
    }
  };
  await loadAssoc();
}

export async function associatePage(ctx) {
  const id = ctx.params.id;
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/catalog/actions', 'Service actions'), ' / ', link(`/catalog/actions/${enc(id)}`, id), ' / Associate'));
  let a;
  let products;
  try {
    a = (await send('sc', new DescribeServiceActionCommand({ Id: id }))).ServiceActionDetail.ServiceActionSummary;
    products = await adminProducts();
  } catch (err) {
    ctx.view.append(h('h1', {}, 'Associate action'), errorBanner('Could not load the action and products', err));
    return;
  }
  ctx.view.append(h('h1', {}, `Associate ${a.Name}`), h('p', { class: 'lead' }, 'Choose the product, then the versions whose provisioned products get this action.'));
  if (!products.length) {
    ctx.view.append(h('div', { class: 'empty' }, 'There are no products to associate the action with.'));
    return;
  }
  const product = h('select', { name: 'product' }, h('option', { value: '' }, 'Choose a product'),
    products.map((p) => h('option', { value: p.ProductViewSummary.ProductId }, p.ProductViewSummary.Name)));
  const versSlot = h('div', { class: 'empty' }, 'Choose a product to see its versions.');
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Associate action');
  let picked = [];
  product.addEventListener('change', async () => {
    picked = [];
    submit.disabled = true;
    if (!product.value) { versSlot.replaceChildren('Choose a product to see its versions.'); return; }
    versSlot.replaceChildren(spinner());
    try {
      const out = await send('sc', new ListProvisioningArtifactsCommand({ ProductId: product.value }));
      versSlot.className = '';
      versSlot.replaceChildren(table({
        rows: out.ProvisioningArtifactDetails || [],
        select: 'checkbox',
        selectLabel: 'Select all versions',
        rowKey: (v) => v.Id,
        caption: 'Versions',
        empty: 'This product has no versions.',
        onSelect: (rows) => { picked = rows; submit.disabled = rows.length === 0; },
        columns: [
          { label: 'Version', text: (v) => v.Name, render: (v) => v.Name },
          { label: 'Description', render: (v) => v.Description || '' },
          { label: 'ID', render: (v) => h('code', {}, v.Id) },
        ],
      }));
    } catch (err) {
      versSlot.replaceChildren(errorBanner('Could not list versions', err));
    }
  });
  const form = h('form', { class: 'form wide' }, field('Product', product), versSlot, status,
    h('div', { class: 'buttons' }, link('/catalog/actions', 'Cancel', { class: 'button secondary' }), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    submit.disabled = true;
    const pname = product.options[product.selectedIndex].text;
    try {
      const out = await send('sc', new BatchAssociateServiceActionWithProvisioningArtifactCommand({
        ServiceActionAssociations: picked.map((v) => ({ ServiceActionId: id, ProductId: product.value, ProvisioningArtifactId: v.Id })),
      }));
      const failed = out.FailedServiceActionAssociations || [];
      if (failed.length) {
        const byId = Object.fromEntries(picked.map((v) => [v.Id, v.Name]));
        status.append(banner('error', `${failed.length} of ${picked.length} associations failed`, null,
          h('ul', {}, failed.map((f) => h('li', {}, `${byId[f.ProvisioningArtifactId] || f.ProvisioningArtifactId}: ${f.ErrorCode}: ${f.ErrorMessage}`)))));
        submit.disabled = false;
        return;
      }
      const names = picked.map((v) => v.Name).join(', ');
      flash('success', `${a.Name} is now associated with ${pname} (${picked.length === 1 ? 'version' : 'versions'} ${names}).`);
      navigate(`/catalog/actions/${enc(id)}`);
    } catch (err) {
      status.append(errorBanner('The action was not associated', err));
      submit.disabled = false;
    }
  });
  ctx.view.append(form);
}
