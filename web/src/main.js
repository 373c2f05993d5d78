// main.js - the console's entry point: the page shell (header, navigation, main area),
// the routes, and the session clock that returns an expired session to sign-in.
import './style.css';
import { h } from './ui.js';
import * as session from './session.js';
import { setExpiredHandler, federatedSession } from './aws.js';
import { start, navigate, render, BASE } from './router.js';
import { signinPage, homePage, notFoundPage } from './pages/home.js';
import * as iam from './pages/iam.js';
import * as catalog from './pages/catalog.js';
import * as actions from './pages/actions.js';
import * as enduser from './pages/enduser.js';

const NAV = [
  ['Service Catalog', [
    ['/products', 'Products'],
    ['/provisioned', 'Provisioned products'],
  ]],
  ['Administration', [
    ['/catalog/portfolios', 'Portfolios'],
    ['/catalog/products', 'Product list'],
    ['/catalog/actions', 'Service actions'],
  ]],
  ['IAM', [
    ['/iam/groups', 'Groups'],
    ['/iam/users', 'Users'],
    ['/iam/policies', 'Policies'],
  ]],
];

const ROUTES = [
  { path: '/signin', title: 'Sign in', page: signinPage, public: true },
  { path: '/', title: 'Home', page: homePage },
  { path: '/iam/groups', title: 'Groups', page: iam.groupsPage },
  { path: '/iam/groups/:name', title: 'Group', page: iam.groupPage },
  { path: '/iam/users', title: 'Users', page: iam.usersPage },
  { path: '/iam/users/:name', title: 'User', page: iam.userPage },
  { path: '/iam/policies', title: 'Policies', page: iam.policiesPage },
  { path: '/iam/policies/:arn', title: 'Policy', page: iam.policyPage },
  { path: '/iam/policies/:arn/edit', title: 'Edit policy', page: iam.editPolicyPage },
  { path: '/catalog/portfolios', title: 'Portfolios', page: catalog.portfoliosPage },
  { path: '/catalog/portfolios/new', title: 'Create portfolio', page: catalog.newPortfolioPage },
  { path: '/catalog/portfolios/:id', title: 'Portfolio', page: catalog.portfolioPage },
  { path: '/catalog/products', title: 'Product list', page: catalog.productsPage },
  { path: '/catalog/products/:id', title: 'Product', page: catalog.productPage },
  { path: '/catalog/actions', title: 'Service actions', page: actions.actionsPage },
  { path: '/catalog/actions/new', title: 'Create action', page: actions.createActionPage },
  { path: '/catalog/actions/:id', title: 'Service action', page: actions.actionPage },
  { path: '/catalog/actions/:id/associate', title: 'Associate action', page: actions.associatePage },
  { path: '/products', title: 'Products', page: enduser.productsPage },
  { path: '/products/:id/launch', title: 'Launch product', page: enduser.launchPage },
  { path: '/provisioned', title: 'Provisioned products', page: enduser.provisionedPage },
  { path: '/provisioned/:id', title: 'Provisioned product', page: enduser.provisionedProductPage },
  { path: '*', title: 'Not found', page: notFoundPage, public: true },
];

const shell = {};

function signOut() {
  session.end('signedout');
  navigate('/signin', { replace: true });
}

function buildShell() {
  const app = document.getElementById('app');
  shell.who = h('span', { class: 'who' });
  shell.clock = h('span', { class: 'clock', 'aria-live': 'off' });
  shell.signout = h('button', { type: 'button', class: 'secondary small', onclick: signOut }, 'Sign out');
  shell.user = h('div', { class: 'user' }, shell.who, shell.clock, shell.signout);
  shell.navLinks = [];
  const sections = NAV.map(([title, items]) => h('div', { class: 'nav-section' },
    h('h2', {}, title),
    h('ul', {}, items.map(([path, label]) => {
      const a = h('a', { href: BASE + path, dataset: { path } }, label);
      shell.navLinks.push(a);
      return h('li', {}, a);
    }))));
  shell.nav = h('nav', { 'aria-label': 'Console' }, sections);
  shell.main = h('main', { id: 'content', tabindex: '-1' });
  shell.header = h('header', { class: 'top' },
    h('a', { class: 'skip', href: '#content' }, 'Skip to content'),
    h('a', { class: 'brand', href: `${BASE}/` }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), ' catalogd console'),
    shell.user);
  app.replaceChildren(shell.header, h('div', { class: 'body' }, shell.nav, shell.main));
}

function clockText() {
  const ms = session.remaining();
  const min = Math.ceil(ms / 60000);
  return ms > 0 ? `Session: ${min} min left` : '';
}

function layout(route, s, path) {
  if (!shell.main) buildShell();
  const signedIn = !!s && !route.public;
  document.body.classList.toggle('signed-out', !signedIn);
  shell.user.hidden = !signedIn;
  shell.nav.hidden = !signedIn;
  if (signedIn) {
    const id = s.Identity;
    shell.who.textContent = `${id.Type === 'root' ? 'root' : id.UserName} @ ${id.Account}`;
    shell.who.title = id.Arn;
    shell.clock.textContent = clockText();
  }
  for (const a of shell.navLinks) {
    const p = a.dataset.path;
    const on = path === p || path.startsWith(`${p}/`);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  return shell.main;
}

// An expired session returns to sign-in with a message, from any page.
setExpiredHandler(() => {
  if (!window.location.pathname.startsWith(`${BASE}/signin`)) {
    session.end('expired');
    navigate('/signin', { replace: true });
  }
});
setInterval(() => {
  const onSignin = window.location.pathname.startsWith(`${BASE}/signin`);
  if (onSignin) return;
  if (!session.current()) {
    navigate('/signin', { replace: true });
    return;
  }
  if (shell.clock) shell.clock.textContent = clockText();
}, 5000);

// Back from a federated sign-in (docs/federation.md): collect the role session first.
async function collectFederated() {
  if (!new URLSearchParams(window.location.search).has('federated')) return;
  const answer = await federatedSession();
  if (answer) session.begin(answer);
  window.history.replaceState(null, '', window.location.pathname);
}

collectFederated().finally(() => start(ROUTES, layout));
export { render };
