/* global location -- browser script, served as is (no build step) */
import { api, conversationIdFor } from './api.js';
import { $ } from './dom.js';
import { createChat } from './chat.js';
import { createLivePanel } from './live.js';

// Entry point: shows the login form or the app, and starts/stops the chat and the live panel.

let stopApp = null;

function showLogin(message = '') {
  stopApp?.();
  stopApp = null;
  $('app-view').hidden = true;
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

function showApp(user) {
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('logout').hidden = false;
  $('whoami').textContent = user;
  const onUnauthorized = () => showLogin('Your session ended. Please sign in again.');
  const chat = createChat({ user, conversationId: conversationIdFor(user), onUnauthorized, onConnection: setConnection });
  const stopLive = createLivePanel({ onUnauthorized });
  stopApp = () => {
    chat.close();
    stopLive();
  };
  $('compose-text').focus();
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
