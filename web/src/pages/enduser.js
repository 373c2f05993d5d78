// enduser.js - the end user's pages: products to launch, the launch form, the
// provisioned products list, and a provisioned product's page with its Actions menu
// (service actions) and its events, which update live while anything runs.
import {
  SearchProductsCommand, DescribeProductCommand, ListLaunchPathsCommand, DescribeProvisioningParametersCommand,
  ProvisionProductCommand, SearchProvisionedProductsCommand, DescribeProvisionedProductCommand,
  ListServiceActionsForProvisioningArtifactCommand, DescribeServiceActionExecutionParametersCommand,
  ExecuteProvisionedProductServiceActionCommand, ListRecordHistoryCommand, DescribeRecordCommand,
  TerminateProvisionedProductCommand,
} from '@aws-sdk/client-service-catalog';
import { GetAutomationExecutionCommand, ListCommandInvocationsCommand } from '@aws-sdk/client-ssm';
import { send, sendAll } from '../aws.js';
import { h, table, link, fmtDate, errorBanner, spinner, section, details, field, dialog, token, banner, badge, menuButton, progress, errorText } from '../ui.js';
import { navigate, flash } from '../router.js';

const enc = encodeURIComponent;
const BUSY = new Set(['CREATED', 'IN_PROGRESS', 'IN_PROGRESS_IN_ERROR', 'UNDER_CHANGE', 'PLAN_IN_PROGRESS']);
const POLL_MS = 1000;

const RECORD_TYPES = {
  PROVISION_PRODUCT: 'Launch',
  UPDATE_PROVISIONED_PRODUCT: 'Update',
  TERMINATE_PROVISIONED_PRODUCT: 'Terminate',
  EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION: 'Service action',
};

export async function productsPage(ctx) {
  ctx.view.append(h('h1', {}, 'Products'), h('p', { class: 'lead' }, 'Products from the portfolios shared with you. Choose one to launch it.'));
  const slot = h('div', {}, spinner());
  ctx.view.append(slot);
  try {
    const list = await sendAll('sc', (t) => new SearchProductsCommand({ PageToken: t }), (o) => o.ProductViewSummaries, (o) => o.NextPageToken);
    slot.replaceChildren(table({
      rows: list,
      empty: 'No products are shared with you. Ask your administrator to grant you a portfolio.',
      columns: [
        { label: 'Product', render: (p) => link(`/products/${enc(p.ProductId)}/launch`, p.Name) },
        { label: 'Owner', render: (p) => p.Owner },
        { label: 'Description', render: (p) => p.ShortDescription || '' },
        { label: '', render: (p) => link(`/products/${enc(p.ProductId)}/launch`, 'Launch product', { class: 'button secondary small', 'aria-label': `Launch ${p.Name}` }) },
      ],
    }));
  } catch (err) {
    slot.replaceChildren(errorBanner('Could not list products', err));
  }
}

export async function launchPage(ctx) {
  const id = ctx.params.id;
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/products', 'Products'), ' / Launch'));
  let prod;
  let paths;
  try {
    prod = await send('sc', new DescribeProductCommand({ Id: id }));
    paths = (await send('sc', new ListLaunchPathsCommand({ ProductId: id }))).LaunchPathSummaries || [];
  } catch (err) {
    ctx.view.append(h('h1', {}, 'Launch product'), errorBanner('Could not load the product', err));
    return;
  }
  const s = prod.ProductViewSummary;
  const arts = (prod.ProvisioningArtifacts || []);
  ctx.view.append(h('h1', {}, `Launch ${s.Name}`), h('p', { class: 'lead' }, s.ShortDescription || ''));
  const name = h('input', { required: true, maxlength: '128', pattern: '[a-zA-Z0-9][a-zA-Z0-9._-]*' });
  const version = h('select', {}, arts.map((a) => h('option', { value: a.Id, selected: a.Guidance === 'DEFAULT' }, `${a.Name}${a.Description ? ` — ${a.Description}` : ''}`)));
  const path = h('select', {}, paths.map((p) => h('option', { value: p.Id }, p.Name || p.Id)));
  const paramSlot = h('div');
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Launch product');
  let inputs = [];
  const loadParams = async () => {
    paramSlot.replaceChildren(spinner());
    inputs = [];
    try {
      const out = await send('sc', new DescribeProvisioningParametersCommand({ ProductId: id, ProvisioningArtifactId: version.value, PathId: path.value || undefined }));
      const ps = out.ProvisioningArtifactParameters || [];
      paramSlot.replaceChildren(...(ps.length ? ps.map((p) => {
        const allowed = p.ParameterConstraints?.AllowedValues || [];
        const input = allowed.length
          ? h('select', {}, allowed.map((v) => h('option', { value: v, selected: v === p.DefaultValue }, v)))
          : h('input', { value: p.DefaultValue || '', type: p.IsNoEcho ? 'password' : 'text' });
        inputs.push([p.ParameterKey, input]);
        return field(p.ParameterKey, input, p.Description);
      }) : [h('p', { class: 'empty' }, 'This version takes no parameters.')]));
    } catch (err) {
      paramSlot.replaceChildren(errorBanner('Could not read the parameters', err));
    }
  };
  version.addEventListener('change', loadParams);
  const form = h('form', { class: 'form' },
    field('Provisioned product name', name, 'Letters, digits, dots, dashes and underscores.'),
    field('Product version', version),
    paths.length > 1 ? field('Launch path (portfolio)', path) : null,
    section('Parameters', null, paramSlot), status,
    h('div', { class: 'buttons' }, link('/products', 'Cancel', { class: 'button secondary' }), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    if (!name.value.trim()) { status.append(banner('error', 'Name it', 'Enter a name for the provisioned product.')); name.focus(); return; }
    submit.disabled = true;
    try {
      const out = await send('sc', new ProvisionProductCommand({
        ProductId: id, ProvisioningArtifactId: version.value, PathId: path.value || undefined,
        ProvisionedProductName: name.value.trim(), ProvisionToken: token(),
        ProvisioningParameters: inputs.map(([k, el]) => ({ Key: k, Value: el.value })),
      }));
      flash('success', `Launching ${name.value.trim()}. Its events below show the progress.`);
      navigate(`/provisioned/${enc(out.RecordDetail.ProvisionedProductId)}`);
    } catch (err) {
      status.append(errorBanner('The product was not launched', err));
      submit.disabled = false;
    }
  });
  ctx.view.append(form);
  await loadParams();
}

export async function provisionedPage(ctx) {
  const scope = ctx.query.get('access') || 'User';
  const pick = h('select', { name: 'access' }, h('option', { value: 'User', selected: scope === 'User' }, 'Mine'),
    h('option', { value: 'Account', selected: scope === 'Account' }, 'Everyone\'s in the account'));
  pick.addEventListener('change', () => navigate(`/provisioned?access=${pick.value}`, { replace: true }));
  ctx.view.append(h('h1', {}, 'Provisioned products'), h('div', { class: 'toolbar' }, field('Show', pick)));
  const slot = h('div', {}, spinner());
  ctx.view.append(slot);
  try {
    const list = await sendAll('sc', (t) => new SearchProvisionedProductsCommand({
      AccessLevelFilter: { Key: scope, Value: 'self' }, PageToken: t, SortBy: 'createdTime', SortOrder: 'DESCENDING',
    }), (o) => o.ProvisionedProducts, (o) => o.NextPageToken);
    slot.replaceChildren(table({
      rows: list,
      empty: h('div', {}, h('p', {}, 'You have no provisioned products.'), link('/products', 'Launch a product')),
      columns: [
        { label: 'Name', render: (p) => link(`/provisioned/${enc(p.Id)}`, p.Name) },
        { label: 'Status', render: (p) => badge(p.Status) },
        { label: 'Product', render: (p) => p.ProductName || p.ProductId },
        { label: 'Version', render: (p) => p.ProvisioningArtifactName || p.ProvisioningArtifactId },
        { label: 'Created', render: (p) => fmtDate(p.CreatedTime) },
        { label: 'Owner', render: (p) => (p.UserArn || '').split(':').pop() },
      ],
    }));
  } catch (err) {
    slot.replaceChildren(errorBanner('Could not list provisioned products', err));
  }
}

/** The record's outputs and errors, where the troubleshooting messages are. */
function recordBody(out) {
  const outputs = out.RecordOutputs || [];
  const errors = out.RecordDetail?.RecordErrors || [];
  return h('div', { class: 'record-body' },
    errors.length ? h('div', { class: 'record-errors' }, errors.map((e) => banner('error', e.Code || 'Error', e.Description))) : null,
    table({
      rows: outputs,
      caption: 'Outputs',
      empty: 'This event has no outputs.',
      columns: [
        { label: 'Key', render: (o) => o.OutputKey },
        { label: 'Value', render: (o) => h('span', { class: 'output-value' }, o.OutputValue ?? '') },
        { label: 'Description', render: (o) => o.Description || '' },
      ],
    }));
}

/** The Run Command output of a service action's record: for each aws:runCommand step of
 * its automation execution, every node's status, exit code and output
 * (ListCommandInvocations with Details). Null when there is none. */
async function commandOutput(out) {
  const id = (out.RecordOutputs || []).find((o) => o.OutputKey === 'AutomationExecutionId')?.OutputValue;
  if (!id) return null;
  try {
    const ex = await send('ssm', new GetAutomationExecutionCommand({ AutomationExecutionId: id }));
    const steps = (ex.AutomationExecution?.StepExecutions || []).filter((s) => s.Action === 'aws:runCommand' && s.Outputs?.CommandId?.[0]);
    if (steps.length === 0) return null;
    const parts = await Promise.all(steps.map(async (s) => {
      const inv = await send('ssm', new ListCommandInvocationsCommand({ CommandId: s.Outputs.CommandId[0], Details: true }));
      return (inv.CommandInvocations || []).map((i) => {
        const p = i.CommandPlugins?.[0] || {};
        return h('div', { class: 'command-output', dataset: { command: i.CommandId, instance: i.InstanceId } },
          h('h4', {}, `${s.StepName}: ${i.InstanceId} `, badge(i.Status), ` exit code ${p.ResponseCode ?? '-'}`),
          h('pre', { class: 'output-value' }, p.Output || '(no output)'));
      });
    }));
    return h('section', { class: 'record-commands' }, h('h3', {}, 'Command output'), parts.flat());
  } catch (err) {
    // e.g. no ssm:GetAutomationExecution or ssm:ListCommandInvocations: the outputs stay
    return h('section', { class: 'record-commands' }, errorBanner('Could not read the command output', err));
  }
}

/** The events section: ListRecordHistory for the product, DescribeRecord for each opened. */
function eventsView(ppId, onBusyChange) {
  const wrap = h('div');
  const open = new Set();
  const bodies = new Map();
  let latestSeen = null;
  async function refresh() {
    const out = await send('sc', new ListRecordHistoryCommand({ SearchFilter: { Key: 'provisionedproduct', Value: ppId }, PageSize: 20 }));
    const recs = out.RecordDetails || [];
    recs.sort((a, b) => new Date(b.CreatedTime) - new Date(a.CreatedTime));
    if (recs[0] && recs[0].RecordId !== latestSeen) {
      latestSeen = recs[0].RecordId;
      open.add(latestSeen); // the newest event opens by itself
    }
    const busy = recs.some((r) => BUSY.has(r.Status));
    // details of the open records, fetched again while they can still change
    await Promise.all(recs.filter((r) => open.has(r.RecordId) && (!bodies.has(r.RecordId) || BUSY.has(r.Status) || bodies.get(r.RecordId).status !== r.Status)).map(async (r) => {
      try {
        const d = await send('sc', new DescribeRecordCommand({ Id: r.RecordId }));
        const node = recordBody(d);
        const cmd = BUSY.has(r.Status) ? null : await commandOutput(d);
        if (cmd) node.append(cmd);
        bodies.set(r.RecordId, { status: r.Status, node });
      } catch (err) {
        bodies.set(r.RecordId, { status: r.Status, node: errorBanner('Could not read the event', err) });
      }
    }));
    wrap.replaceChildren(recs.length === 0 ? h('div', { class: 'empty' }, 'No events yet.') : h('ol', { class: 'events' }, recs.map((r) => {
      const summary = h('summary', {},
        h('span', { class: 'ev-type' }, RECORD_TYPES[r.RecordType] || r.RecordType), ' ',
        badge(r.Status), ' ',
        h('span', { class: 'ev-time' }, fmtDate(r.CreatedTime)), ' ',
        h('code', { class: 'ev-id' }, r.RecordId));
      const d = h('details', { open: open.has(r.RecordId), dataset: { record: r.RecordId, status: r.Status } }, summary,
        BUSY.has(r.Status) ? progress(`${RECORD_TYPES[r.RecordType] || 'Event'} in progress`) : null,
        bodies.get(r.RecordId)?.node || (open.has(r.RecordId) ? spinner() : null));
      d.addEventListener('toggle', () => {
        if (d.open) { open.add(r.RecordId); if (!bodies.has(r.RecordId)) refresh().catch(() => {}); } else open.delete(r.RecordId);
      });
      return h('li', {}, d);
    })));
    onBusyChange(busy);
    return busy;
  }
  return { node: wrap, refresh };
}

export async function provisionedProductPage(ctx) {
  const id = ctx.params.id;
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/provisioned', 'Provisioned products'), ' / ', id));
  const head = h('div', { class: 'title-row' }, h('h1', {}, id));
  const info = h('div', {}, spinner());
  const notice = h('div', { class: 'notice' });
  const activity = h('div', { class: 'activity', 'aria-live': 'polite' });
  let pp = null;
  let timer = null;
  let stopped = false;
  ctx.onLeave(() => { stopped = true; clearTimeout(timer); });

  const events = eventsView(id, (busy) => {
    activity.replaceChildren(busy ? progress('An operation is running on this product; the events update by themselves.') : '');
  });
  const eventsSlot = h('div', {}, events.node);
  ctx.view.append(head, notice, info, activity, section('Events', null, eventsSlot));

  const describe = async () => {
    pp = (await send('sc', new DescribeProvisionedProductCommand({ Id: id }))).ProvisionedProductDetail;
    info.replaceChildren(details([
      ['Status', badge(pp.Status)], ['Status message', pp.StatusMessage], ['ID', h('code', {}, pp.Id)], ['Type', pp.Type],
      ['Product ID', h('code', {}, pp.ProductId)], ['Version ID', h('code', {}, pp.ProvisioningArtifactId)],
      ['Created', fmtDate(pp.CreatedTime)], ['Last event', pp.LastRecordId ? h('code', {}, pp.LastRecordId) : null],
    ]));
  };
  const poll = async () => {
    if (stopped) return;
    let busy = false;
    try {
      await describe();
      busy = (await events.refresh()) || BUSY.has(pp.Status);
    } catch (err) {
      eventsSlot.replaceChildren(errorBanner('Could not read the events', err), events.node);
    }
    if (!stopped && busy) timer = setTimeout(poll, POLL_MS);
  };
  const startPolling = () => { clearTimeout(timer); poll(); };

  try {
    await describe();
  } catch (err) {
    info.replaceChildren(errorBanner('Could not load the provisioned product', err));
    return;
  }
  head.replaceChildren(h('h1', {}, pp.Name), menuButton('Actions', async () => {
    const out = await send('sc', new ListServiceActionsForProvisioningArtifactCommand({ ProductId: pp.ProductId, ProvisioningArtifactId: pp.ProvisioningArtifactId }));
    const acts = out.ServiceActionSummaries || [];
    return [
      ...(acts.length ? acts.map((a) => ({ label: a.Name, onSelect: () => runAction(a) })) : [{ note: 'No service actions for this version.' }]),
      null,
      { label: 'Terminate', onSelect: terminate },
    ];
  }));

  async function runAction(a) {
    const body = h('div', {}, h('p', {}, a.Description || ''), spinner('Reading the parameters…'));
    const inputs = [];
    const loadParams = send('sc', new DescribeServiceActionExecutionParametersCommand({ ProvisionedProductId: id, ServiceActionId: a.Id }))
      .then((out) => {
        const ps = out.ServiceActionParameters || [];
        body.replaceChildren(h('p', {}, a.Description || ''),
          ps.length ? h('div', {}, ps.map((p) => {
            const defaults = (p.DefaultValues || []).join(', ');
            const input = h('input', { value: defaults, placeholder: p.Type === 'TARGET' ? 'all targets of this product' : '' });
            inputs.push({ p, input, defaults });
            return field(`${p.Name} (${p.Type === 'TARGET' ? 'target' : 'text value'})`, input,
              p.Type === 'TARGET' ? `Defaults to this product's resources: ${defaults || 'none found'}. Separate several with commas.` : 'Enter the value the action needs.');
          })) : h('p', {}, 'This action takes no parameters.'),
          h('p', {}, `Run ${a.Name} on ${pp.Name}?`));
      })
      .catch((err) => {
        body.replaceChildren(h('p', {}, a.Description || ''),
          banner('warning', 'The parameters could not be read', `${errorText(err)}. The action runs with its defaults.`),
          h('p', {}, `Run ${a.Name} on ${pp.Name}?`));
      });
    const ok = await dialog({
      title: `Execute ${a.Name}`,
      body,
      confirmLabel: 'Execute action',
      onConfirm: async () => {
        await loadParams;
        const params = {};
        for (const { p, input, defaults } of inputs) {
          const v = input.value.trim();
          if (p.Type === 'TARGET' && v === defaults) continue; // the product's own targets
          if (!v) continue;
          params[p.Name] = p.Type === 'TARGET' ? v.split(',').map((x) => x.trim()).filter(Boolean) : [v];
        }
        await send('sc', new ExecuteProvisionedProductServiceActionCommand({
          ProvisionedProductId: id, ServiceActionId: a.Id, ExecuteToken: token(),
          Parameters: Object.keys(params).length ? params : undefined,
        }));
      },
    });
    if (ok) {
      notice.replaceChildren(banner('success', null, `The action ${a.Name} was sent. Follow it in the events below.`));
      startPolling();
    }
  }

  async function terminate() {
    const ok = await dialog({
      title: `Terminate ${pp.Name}?`,
      body: h('p', {}, 'Its resources are deleted. This cannot be undone.'),
      confirmLabel: 'Terminate', danger: true,
      onConfirm: () => send('sc', new TerminateProvisionedProductCommand({ ProvisionedProductId: id, TerminateToken: token() })),
    });
    if (ok) {
      notice.replaceChildren(banner('success', null, `Terminating ${pp.Name}.`));
      startPolling();
    }
  }

  startPolling();
}
