// The console's shell: sign-in, the navigation (only what the key may do), and a router over #/paths.
// Each page is a module of pages/ exporting { title, permission, render(main, ctx) }.
import { api, session } from './api.js';
import { clear, errorBlock, field, fieldError, h, label, plainMessage, showError } from './ui.js';

// In menu order. Loaded side by side; a page that fails to load is left out of the menu, not the console.
const NAMES = ['overview', 'income', 'vouchers', 'dividend', 'payments', 'batches', 'insurance', 'households', 'villages', 'industries', 'statements', 'bank', 'periods', 'funds', 'keys', 'audit'];
const loaded = await Promise.allSettled(NAMES.map((name) => import(`./pages/${name}.js`)));
const PAGES = Object.fromEntries(
  NAMES.flatMap((name, i) => {
    const outcome = loaded[i];
    if (outcome.status === 'fulfilled') return [[name, outcome.value.default]];
    console.error(`page ${name} failed to load`, outcome.reason);
    return [];
  }),
);
const root = document.getElementById('app');

// What the pages share for as long as one key is signed in (in memory only). Pages may keep their own
// choices here; all of it goes when the key changes or signs out.
const state = {};
const resetState = () => {
  for (const key of Object.keys(state)) delete state[key];
  Object.assign(state, { me: null, funds: null, fundId: null });
};
resetState();

const allowed = (page) => state.me && (!page.permission || state.me.permissions.includes(page.permission));

/** The funds the key reaches, loaded once. */
async function funds() {
  state.funds ??= await api.all('/v1/funds');
  state.fundId ??= state.funds[0]?.id ?? null;
  return state.funds;
}

/** A <select> of the funds the key reaches; the choice is kept while the tab is open. */
async function fundPicker(onChange) {
  const list = await funds();
  const picker = h(
    'select',
    { name: 'fundId', 'aria-label': '基金', onchange: () => { state.fundId = picker.value; onChange(picker.value); } },
    list.map((f) => h('option', { value: f.id, selected: f.id === state.fundId }, `${f.code} ${f.name}`)),
  );
  return picker;
}

function signInPage(message) {
  const input = h('input', { name: 'token', type: 'password', autocomplete: 'off', required: true, placeholder: '粘贴 API 密钥' });
  const form = h(
    'form',
    { class: 'card signin', onsubmit: (event) => { event.preventDefault(); signIn(form, input.value.trim()); } },
    h('h1', {}, '防返贫专项基金账务控制台'),
    h('p', {}, '用管理员发放给您的 API 密钥登录。密钥只保存在本浏览器标签页中，关闭即清除。'),
    field('token', 'API 密钥', input),
    h('button', { type: 'submit', class: 'primary' }, '登录'),
  );
  clear(root, h('main', { id: 'main' }, form));
  if (message) form.prepend(h('p', { class: 'form-error', role: 'alert' }, message));
  input.focus();
}

async function signIn(form, token) {
  if (!token) return showError(form, fieldError('token', '请输入密钥。'));
  resetState();
  session.signIn(token);
  try {
    state.me = await api.get('/v1/me');
    route();
  } catch (error) {
    session.signOut();
    showError(form, error);
  }
}

function signOut() {
  session.signOut();
  resetState();
  location.hash = '#/';
  signInPage();
}

function shell(active) {
  const nav = h(
    'nav',
    { class: 'menu', 'aria-label': '功能' },
    Object.entries(PAGES)
      .filter(([, page]) => allowed(page))
      .map(([name, page]) => h('a', { href: `#/${name}`, class: name === active ? 'active' : '', 'aria-current': name === active ? 'page' : false }, page.title)),
  );
  const main = h('main', { id: 'main' });
  clear(
    root,
    h(
      'header',
      { class: 'top' },
      h('strong', { class: 'brand' }, '防返贫专项基金'),
      nav,
      h('span', { class: 'who' }, `${state.me.name}（${label('role', state.me.role)}）`),
      h('button', { type: 'button', class: 'link', onclick: signOut }, '退出'),
    ),
    main,
  );
  return main;
}

async function route() {
  if (!session.token()) return signInPage();
  if (!state.me) {
    try {
      state.me = await api.get('/v1/me');
    } catch (error) {
      session.signOut();
      return signInPage(error.status === 401 ? '密钥无效、已过期或已吊销，请重新登录。' : plainMessage(error));
    }
  }
  const [name = 'overview', ...params] = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const firstAllowed = Object.keys(PAGES).find((p) => allowed(PAGES[p]));
  const page = PAGES[name] && allowed(PAGES[name]) ? name : firstAllowed;
  if (!page) return clear(shell(null), h('p', { class: 'empty' }, '本密钥没有可用的控制台功能。'));
  const main = shell(page);
  document.title = `${PAGES[page].title} · 防返贫专项基金`;
  try {
    await PAGES[page].render(main, { me: state.me, params: params.map(decodeURIComponent), funds, fundPicker, state, go: (path) => (location.hash = path) });
  } catch (error) {
    clear(main, errorBlock(error));
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('console:unauthorized', () => {
  session.signOut();
  resetState();
  signInPage('密钥无效、已过期或已吊销，请重新登录。');
});
route();
