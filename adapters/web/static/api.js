// JSON calls to /web/api and the ids the page generates.

/** Calls the API; resolves {ok, status, data} and never throws for HTTP errors. */
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    const res = await fetch(path, init);
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    return { ok: res.ok, status: res.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: { code: 'NETWORK', message: `network error: ${err.message}` } };
  }
}

/** 128 random bits as base64url (22 characters). getRandomValues works outside secure contexts too. */
export function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The browser's conversation: kept per user, so every tab of that user shares it. */
export function conversationIdFor(user) {
  const key = `skadi.web.conversation.${user}`;
  let id = null;
  try {
    id = localStorage.getItem(key);
  } catch {
    id = null;
  }
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = newId();
    try {
      localStorage.setItem(key, id);
    } catch {
      // Private mode: the conversation lasts as long as the tab.
    }
  }
  return id;
}
