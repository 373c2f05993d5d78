// home.js - sign-in, the home page and the not-found page.
import { h, banner, field, link, errorText } from '../ui.js';
import * as session from '../session.js';
import { signIn, signInHints } from '../aws.js';
import { navigate } from '../router.js';

const REASONS = {
  expired: ['info', 'Your session expired. Sign in again to continue.'],
  signedout: ['success', 'You are signed out.'],
};

export async function signinPage(ctx) {
  const reason = session.takeReason();
  if (session.current() && !reason) {
    navigate(ctx.query.get('next') || '/', { replace: true });
    return;
  }
  const account = h('input', { name: 'account', inputmode: 'numeric', autocomplete: 'username', required: true, pattern: '[0-9]{12}', maxlength: '12' });
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, maxlength: '64', autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '128' });
  const mfa = h('input', { name: 'mfa', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6' });
  const mfaField = field('MFA code', mfa, 'The 6-digit code your authenticator app shows.');
  mfaField.hidden = true;
  const submit = h('button', { type: 'submit', class: 'primary wide' }, 'Sign in');
  const msg = h('div', { class: 'signin-msg' });
  if (reason && REASONS[reason]) msg.append(banner(REASONS[reason][0], null, REASONS[reason][1]));
  const form = h('form', { class: 'signin', novalidate: true },
    h('h1', {}, 'Sign in to catalogd'),
    msg,
    field('Account ID', account, '12 digits.'),
    field('IAM user name', user, 'Your IAM user name, or root for the account\'s root user.'),
    field('Password', password),
    mfaField,
    submit,
    h('p', { class: 'help' }, 'The console signs every request with temporary credentials that last one hour. See docs/console.md.'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    if (!/^[0-9]{12}$/.test(account.value.trim())) {
      msg.append(banner('error', 'Check the account ID', 'Enter the 12-digit account ID.'));
      account.focus();
      return;
    }
    if (!user.value.trim() || !password.value) {
      msg.append(banner('error', 'Missing details', 'Enter your user name and password.'));
      (user.value.trim() ? password : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const code = mfaField.hidden ? '' : mfa.value.trim();
      const answer = await signIn(account.value.trim(), user.value.trim(), password.value, code);
      session.begin(answer);
      password.value = '';
      mfa.value = '';
      const next = ctx.query.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      if (err.name === 'MFARequired') { /* the password was right: ask for the device's code */
        mfaField.hidden = false;
        msg.append(banner('info', 'Multi-factor authentication', err.message));
        mfa.focus();
        return;
      }
      msg.append(banner('error', 'Sign-in failed', err.message || errorText(err)));
      password.value = '';
      mfa.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  ctx.view.append(h('div', { class: 'signin-wrap' }, form));
  const hints = await signInHints();
  if (hints.Account && !account.value) account.value = hints.Account;
  if (hints.Federation) {
    form.append(h('a', { class: 'button wide', href: hints.Federation.Start },
      `Sign in with ${hints.Federation.Name}`));
  }
  (account.value ? user : account).focus();
}

export async function homePage(ctx) {
  const id = ctx.session.Identity;
  const card = (path, title, text) => h('li', { class: 'card' }, h('h2', {}, link(path, title)), h('p', {}, text));
  ctx.view.append(
    h('h1', {}, `Welcome, ${id.Type === 'root' ? 'root user' : id.UserName}`),
    h('p', { class: 'lead' }, `Signed in as ${id.Arn}. What you can do here is what your IAM policies allow.`),
    h('h2', { class: 'group' }, 'Use products'),
    h('ul', { class: 'cards' },
      card('/products', 'Products', 'Launch a product from the portfolios shared with you.'),
      card('/provisioned', 'Provisioned products', 'See what you launched, run its actions and follow the events.')),
    h('h2', { class: 'group' }, 'Administer'),
    h('ul', { class: 'cards' },
      card('/catalog/portfolios', 'Portfolios', 'Portfolios, their products, access and launch constraints.'),
      card('/catalog/products', 'Product list', 'Products and their versions.'),
      card('/catalog/actions', 'Service actions', 'Create actions from Systems Manager documents and associate them with product versions.'),
      card('/iam/groups', 'IAM groups', 'Groups, their members and permissions.'),
      card('/iam/users', 'IAM users', 'Users and their groups and policies.'),
      card('/iam/policies', 'IAM policies', 'Managed policies, with the JSON policy editor.')));
}

export async function notFoundPage(ctx) {
  ctx.view.append(h('h1', {}, 'Page not found'),
    h('p', {}, 'The console has no page at this address. '), link('/', 'Go to the console home'));
}
