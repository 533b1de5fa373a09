import { api, conversationIdFor } from './api.js';
import { $, h } from './dom.js';
import { createChat } from './chat.js';
import { createDashboardView } from './dashboard-view.js';
import { createJobView } from './job-view.js';
import { createJobsView } from './jobs-view.js';
import { createLivePanel, createLiveStore } from './live.js';

// Entry point: shows the login form or the app, and starts/stops the chat, the live store and
// the dashboard's views. The address picks the view: #/chat (default), #/dashboard, #/jobs
// (with filters), #/jobs/<id>.

const VIEWS = [
  { id: 'chat', label: 'Chat', main: 'app-view' },
  { id: 'dashboard', label: 'Dashboard', main: 'dashboard-view' },
  { id: 'jobs', label: 'Jobs', main: 'jobs-view' },
];
const MAINS = ['app-view', 'dashboard-view', 'jobs-view', 'job-view'];

let stopApp = null;

function showLogin(message = '') {
  stopApp?.();
  stopApp = null;
  for (const id of MAINS) $(id).hidden = true;
  $('views').replaceChildren();
  $('logout').hidden = true;
  $('whoami').textContent = '';
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  setConnection('offline');
  $('login-user').focus();
}

function setConnection(state) {
  const el = $('connection');
  el.dataset.state = state;
  el.textContent = state === 'live' ? 'live' : state === 'reconnecting' ? 'reconnecting…' : '';
}

/** The view and its parameters for the current address. */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const job = /^jobs\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (job) return { view: 'job', main: 'job-view', nav: 'jobs', jobId: job[1], params };
  const found = VIEWS.find((v) => v.id === path);
  return found ? { view: found.id, main: found.main, nav: found.id, params } : { view: 'chat', main: 'app-view', nav: 'chat', params };
}

function showApp(user) {
  $('login-view').hidden = true;
  $('logout').hidden = false;
  $('whoami').textContent = user;
  $('views').replaceChildren(...VIEWS.map((v) => h('a', { href: `#/${v.id}`, class: 'view-link', dataset: { view: v.id }, text: v.label })));
  const onUnauthorized = () => showLogin('Your session ended. Please sign in again.');
  const chat = createChat({ user, conversationId: conversationIdFor(user), onUnauthorized, onConnection: setConnection });
  const store = createLiveStore({ onUnauthorized });
  const stopPanel = createLivePanel(store);
  const views = { dashboard: createDashboardView(store), jobs: createJobsView(store, { onUnauthorized }), job: createJobView({ onUnauthorized }) };

  const onRoute = () => {
    const r = route();
    for (const id of MAINS) $(id).hidden = id !== r.main;
    for (const link of $('views').children) {
      link.classList.toggle('active', link.dataset.view === r.nav);
      if (link.dataset.view === r.nav) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    for (const [name, view] of Object.entries(views)) if (name !== r.view) view.hide();
    if (r.view === 'dashboard') views.dashboard.show();
    else if (r.view === 'jobs') views.jobs.show(r.params);
    else if (r.view === 'job') views.job.show(r.jobId);
    else $('compose-text').focus();
    document.title = r.view === 'job' ? `Job ${r.jobId} · Skadi` : r.view === 'chat' ? 'Skadi' : `${VIEWS.find((v) => v.id === r.view).label} · Skadi`;
  };
  window.addEventListener('hashchange', onRoute);
  onRoute();

  stopApp = () => {
    window.removeEventListener('hashchange', onRoute);
    chat.close();
    stopPanel();
    for (const view of Object.values(views)) view.close();
    store.close();
  };
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  $('login-submit').disabled = true;
  const res = await api('POST', '/web/api/login', { user: $('login-user').value.trim(), token: $('login-token').value });
  $('login-submit').disabled = false;
  $('login-token').value = '';
  if (res.ok) return showApp(res.data.user);
  $('login-error').textContent = res.status === 401 ? 'Unknown user or wrong token.' : (res.data?.message ?? `Sign-in failed (HTTP ${res.status}).`);
});

$('logout').addEventListener('click', async () => {
  await api('POST', '/web/api/logout');
  // The threads belong to the user who left: start from a clean page.
  location.reload();
});

const session = await api('GET', '/web/api/session');
if (session.ok) showApp(session.data.user);
else showLogin();
