// catalog.js - Service Catalog administration: portfolios (products, access, launch
// constraints) and products with their versions.
import {
  ListPortfoliosCommand, CreatePortfolioCommand, DescribePortfolioCommand, SearchProductsAsAdminCommand,
  ListConstraintsForPortfolioCommand, CreateConstraintCommand, DeleteConstraintCommand,
  ListPrincipalsForPortfolioCommand, DescribeProductAsAdminCommand, ListProvisioningArtifactsCommand,
  ListPortfoliosForProductCommand,
} from '@aws-sdk/client-service-catalog';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import { send, sendAll } from '../aws.js';
import { h, table, link, fmtDate, errorBanner, spinner, section, details, field, dialog, token, badge } from '../ui.js';
import { navigate, flash } from '../router.js';

const enc = encodeURIComponent;

/** Every product of the account (or of one portfolio), as admins see them. */
export function adminProducts(portfolioId) {
  return sendAll('sc', (t) => new SearchProductsAsAdminCommand({ PortfolioId: portfolioId, PageToken: t }),
    (o) => o.ProductViewDetails, (o) => o.NextPageToken);
}

export async function portfoliosPage(ctx) {
  ctx.view.append(h('div', { class: 'title-row' }, h('h1', {}, 'Portfolios'),
    link('/catalog/portfolios/new', 'Create portfolio', { class: 'button primary' })));
  const slot = h('div', {}, spinner());
  ctx.view.append(slot);
  try {
    const list = await sendAll('sc', (t) => new ListPortfoliosCommand({ PageToken: t }), (o) => o.PortfolioDetails, (o) => o.NextPageToken);
    slot.replaceChildren(table({
      rows: list,
      empty: h('div', {}, h('p', {}, 'There are no portfolios yet.'), link('/catalog/portfolios/new', 'Create the first portfolio')),
      columns: [
        { label: 'Name', render: (p) => link(`/catalog/portfolios/${enc(p.Id)}`, p.DisplayName) },
        { label: 'ID', render: (p) => h('code', {}, p.Id) },
        { label: 'Provider', render: (p) => p.ProviderName },
        { label: 'Description', render: (p) => p.Description || '' },
        { label: 'Created', render: (p) => fmtDate(p.CreatedTime) },
      ],
    }));
  } catch (err) {
    slot.replaceChildren(errorBanner('Could not list portfolios', err));
  }
}

export async function newPortfolioPage(ctx) {
  const name = h('input', { required: true, maxlength: '100' });
  const provider = h('input', { required: true, maxlength: '50' });
  const desc = h('textarea', { rows: '3', maxlength: '2000' });
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create portfolio');
  const form = h('form', { class: 'form' }, field('Portfolio name', name), field('Owner (provider name)', provider),
    field('Description', desc), status, h('div', { class: 'buttons' }, link('/catalog/portfolios', 'Cancel', { class: 'button secondary' }), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    submit.disabled = true;
    try {
      const out = await send('sc', new CreatePortfolioCommand({
        DisplayName: name.value.trim(), ProviderName: provider.value.trim(), Description: desc.value.trim() || undefined, IdempotencyToken: token(),
      }));
      flash('success', `Portfolio ${out.PortfolioDetail.DisplayName} was created.`);
      navigate(`/catalog/portfolios/${enc(out.PortfolioDetail.Id)}`);
    } catch (err) {
      status.append(errorBanner('The portfolio was not created', err));
      submit.disabled = false;
    }
  });
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/catalog/portfolios', 'Portfolios'), ' / New'),
    h('h1', {}, 'Create portfolio'), form);
  name.focus();
}

async function constraintForm(portfolioId, products, onDone) {
  const product = h('select', { required: true }, products.map((p) => h('option', { value: p.ProductViewSummary.ProductId }, p.ProductViewSummary.Name)));
  const roleList = h('datalist', { id: 'role-arns' });
  const role = h('input', { required: true, list: 'role-arns', placeholder: 'arn:aws:iam::123456789012:role/SCLaunchRole', size: '50' });
  const desc = h('input', { maxlength: '2000' });
  sendAll('iam', (m) => new ListRolesCommand({ Marker: m }), (o) => o.Roles, (o) => o.IsTruncated && o.Marker)
    .then((roles) => roleList.replaceChildren(...roles.map((r) => h('option', { value: r.Arn }, r.RoleName))))
    .catch(() => {});
  await dialog({
    title: 'Create launch constraint',
    body: [h('p', {}, 'Products of this portfolio launch as the role you choose, not as the end user.'),
      field('Product', product), field('IAM role ARN', role, 'The launch role. Its trust policy must allow servicecatalog.amazonaws.com.'), roleList,
      field('Description', desc)],
    confirmLabel: 'Create constraint',
    onConfirm: async () => {
      await send('sc', new CreateConstraintCommand({
        PortfolioId: portfolioId, ProductId: product.value, Type: 'LAUNCH',
        Parameters: JSON.stringify({ RoleArn: role.value.trim() }), Description: desc.value.trim() || undefined, IdempotencyToken: token(),
      }));
      onDone();
    },
  });
}

export async function portfolioPage(ctx) {
  const id = ctx.params.id;
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/catalog/portfolios', 'Portfolios'), ' / ', id);
  ctx.view.append(crumbs);
  let port;
  try {
    port = await send('sc', new DescribePortfolioCommand({ Id: id }));
  } catch (err) {
    ctx.view.append(h('h1', {}, id), errorBanner('Could not load the portfolio', err));
    return;
  }
  const d = port.PortfolioDetail;
  ctx.view.append(h('h1', {}, d.DisplayName), details([['ID', h('code', {}, d.Id)], ['Owner', d.ProviderName], ['Description', d.Description], ['Created', fmtDate(d.CreatedTime)]]));
  const prodSlot = h('div', {}, spinner());
  const consSlot = h('div', {}, spinner());
  const accSlot = h('div', {}, spinner());
  const addConstraint = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Create launch constraint');
  ctx.view.append(section('Products', null, prodSlot), section('Constraints', addConstraint, consSlot), section('Groups, users and roles', null, accSlot));
  let products = [];
  const names = {};
  const loadConstraints = async () => {
    try {
      const list = await sendAll('sc', (t) => new ListConstraintsForPortfolioCommand({ PortfolioId: id, PageToken: t }), (o) => o.ConstraintDetails, (o) => o.NextPageToken);
      consSlot.replaceChildren(table({
        rows: list,
        empty: 'No constraints. A LAUNCH constraint lets end users launch a product as its launch role.',
        columns: [
          { label: 'Type', render: (c) => c.Type },
          { label: 'Product', render: (c) => names[c.ProductId] || c.ProductId },
          { label: 'Description', render: (c) => c.Description || '' },
          { label: 'ID', render: (c) => h('code', {}, c.ConstraintId) },
          { label: '', render: (c) => h('button', { type: 'button', class: 'link-button', 'aria-label': `Delete constraint ${c.ConstraintId}`, onclick: () => dialog({
            title: 'Delete constraint?', body: h('p', {}, `Delete the ${c.Type} constraint on ${names[c.ProductId] || c.ProductId}?`), confirmLabel: 'Delete', danger: true,
            onConfirm: async () => { await send('sc', new DeleteConstraintCommand({ Id: c.ConstraintId })); loadConstraints(); },
          }) }, 'Delete') },
        ],
      }));
    } catch (err) {
      consSlot.replaceChildren(errorBanner('Could not list constraints', err));
    }
  };
  try {
    products = await adminProducts(id);
    products.forEach((p) => { names[p.ProductViewSummary.ProductId] = p.ProductViewSummary.Name; });
    prodSlot.replaceChildren(table({
      rows: products,
      empty: 'This portfolio has no products.',
      columns: [
        { label: 'Product', render: (p) => link(`/catalog/products/${enc(p.ProductViewSummary.ProductId)}`, p.ProductViewSummary.Name) },
        { label: 'Owner', render: (p) => p.ProductViewSummary.Owner },
        { label: 'Status', render: (p) => badge(p.Status) },
      ],
    }));
    addConstraint.disabled = products.length === 0;
    addConstraint.addEventListener('click', () => constraintForm(id, products, () => {
      flash('success', 'The launch constraint was created.');
      loadConstraints();
    }));
  } catch (err) {
    prodSlot.replaceChildren(errorBanner('Could not list products', err));
  }
  await loadConstraints();
  try {
    const list = await sendAll('sc', (t) => new ListPrincipalsForPortfolioCommand({ PortfolioId: id, PageToken: t }), (o) => o.Principals, (o) => o.NextPageToken);
    accSlot.replaceChildren(table({
      rows: list,
      empty: 'Nobody has access: grant a group, user or role so they can launch its products.',
      columns: [{ label: 'Principal', render: (p) => h('code', {}, p.PrincipalARN) }, { label: 'Type', render: (p) => p.PrincipalType }],
    }));
  } catch (err) {
    accSlot.replaceChildren(errorBanner('Could not list access', err));
  }
}

export async function productsPage(ctx) {
  ctx.view.append(h('h1', {}, 'Product list'), h('p', { class: 'lead' }, 'Every product of the account, as administrators see them.'));
  const slot = h('div', {}, spinner());
  ctx.view.append(slot);
  try {
    const list = await adminProducts();
    slot.replaceChildren(table({
      rows: list,
      empty: 'There are no products yet.',
      columns: [
        { label: 'Name', render: (p) => link(`/catalog/products/${enc(p.ProductViewSummary.ProductId)}`, p.ProductViewSummary.Name) },
        { label: 'ID', render: (p) => h('code', {}, p.ProductViewSummary.ProductId) },
        { label: 'Owner', render: (p) => p.ProductViewSummary.Owner },
        { label: 'Type', render: (p) => p.ProductViewSummary.Type },
        { label: 'Created', render: (p) => fmtDate(p.CreatedTime) },
      ],
    }));
  } catch (err) {
    slot.replaceChildren(errorBanner('Could not list products', err));
  }
}

export async function productPage(ctx) {
  const id = ctx.params.id;
  ctx.view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/catalog/products', 'Product list'), ' / ', id));
  let prod;
  try {
    prod = await send('sc', new DescribeProductAsAdminCommand({ Id: id }));
  } catch (err) {
    ctx.view.append(h('h1', {}, id), errorBanner('Could not load the product', err));
    return;
  }
  const s = prod.ProductViewDetail.ProductViewSummary;
  ctx.view.append(h('h1', {}, s.Name), details([['ID', h('code', {}, s.ProductId)], ['Owner', s.Owner], ['Distributor', s.Distributor],
    ['Description', s.ShortDescription], ['Support', s.SupportDescription]]));
  const vers = h('div', {}, spinner());
  const ports = h('div', {}, spinner());
  ctx.view.append(section('Versions', null, vers), section('Portfolios', null, ports));
  try {
    const out = await send('sc', new ListProvisioningArtifactsCommand({ ProductId: id }));
    vers.replaceChildren(table({
      rows: out.ProvisioningArtifactDetails || [],
      empty: 'This product has no versions.',
      columns: [
        { label: 'Name', render: (a) => a.Name },
        { label: 'ID', render: (a) => h('code', {}, a.Id) },
        { label: 'Description', render: (a) => a.Description || '' },
        { label: 'Active', render: (a) => (a.Active === false ? 'No' : 'Yes') },
        { label: 'Guidance', render: (a) => a.Guidance || 'DEFAULT' },
        { label: 'Created', render: (a) => fmtDate(a.CreatedTime) },
      ],
    }));
  } catch (err) {
    vers.replaceChildren(errorBanner('Could not list versions', err));
  }
  try {
    const list = await sendAll('sc', (t) => new ListPortfoliosForProductCommand({ ProductId: id, PageToken: t }), (o) => o.PortfolioDetails, (o) => o.NextPageToken);
    ports.replaceChildren(table({
      rows: list,
      empty: 'This product is in no portfolio, so nobody can launch it.',
      columns: [{ label: 'Portfolio', render: (p) => link(`/catalog/portfolios/${enc(p.Id)}`, p.DisplayName) }, { label: 'ID', render: (p) => h('code', {}, p.Id) }],
    }));
  } catch (err) {
    ports.replaceChildren(errorBanner('Could not list portfolios', err));
  }
}
