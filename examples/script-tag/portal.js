// The portal's side of a ConsultKit integration, as a plain classic script (no build step).
//
// 1. The user signs in to the portal. Here that is the token server's demo login
//    (POST /api/auth/login); a real portal already has its own sign-in and access token.
// 2. <consult-room consult-id="…" token-url="/api"> gets the portal's access token in `.auth`
//    and does the rest: device check, waiting room, call, chat, recording with consent.
//
// Query parameters: ?as=doctor | ?as=patient signs in with the demo users at once,
// ?consult=<id> picks the consultation (default "demo"), ?lang=es sets the page language.
(() => {
  'use strict';

  /** Demo users of `npx consult-kit demo` (never put real credentials in a page). */
  const DEMO_USERS = {
    doctor: ['doctor', 'doctor123'],
    patient: ['patient', 'patient123'],
    patient2: ['patient2', 'patient2123'],
  };
  const STORAGE_KEY = 'consult-kit-demo-session';

  const params = new URLSearchParams(location.search);
  const consultId = params.get('consult') || 'demo';
  const lang = params.get('lang');
  if (lang) document.documentElement.lang = lang;

  const form = document.getElementById('sign-in');
  const formError = document.getElementById('sign-in-error');
  const who = document.getElementById('who');
  const slot = document.getElementById('room-slot');

  async function signIn(username, password) {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (response.status === 401) throw new Error('Wrong user name or password.');
    if (!response.ok) throw new Error(`Sign-in failed (HTTP ${response.status}).`);
    // { accessToken, expiresAt, user: { id, displayName, role } }
    const session = await response.json();
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    return session;
  }

  function storedSession() {
    try {
      const session = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
      return session && Date.parse(session.expiresAt) > Date.now() ? session : null;
    } catch {
      return null;
    }
  }

  function signOut() {
    sessionStorage.removeItem(STORAGE_KEY);
    params.delete('as');
    location.search = params.toString();
  }

  async function showRoom(session) {
    form.hidden = true;
    // Names are text, never markup.
    who.replaceChildren(`Signed in as ${session.user.displayName} `);
    const out = document.createElement('button');
    out.type = 'button';
    out.textContent = 'Sign out';
    out.addEventListener('click', signOut);
    who.append(out);
    who.hidden = false;

    await customElements.whenDefined('consult-room');
    const room = document.createElement('consult-room');
    // Set .auth before the room is connected: it builds its session from these.
    room.auth = () => session.accessToken;
    room.setAttribute('consult-id', consultId);
    room.setAttribute('token-url', '/api');
    slot.replaceChildren(room);
  }

  function showSignIn(message) {
    form.hidden = false;
    formError.textContent = message || '';
    form.elements.namedItem('username').focus();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    signIn(String(data.get('username')), String(data.get('password'))).then(showRoom, (error) =>
      showSignIn(error.message),
    );
  });

  const as = params.get('as');
  const demo = as && Object.hasOwn(DEMO_USERS, as) ? DEMO_USERS[as] : undefined;
  const current = storedSession();
  if (demo && current?.user?.id !== demo[0]) {
    signIn(demo[0], demo[1]).then(showRoom, (error) => showSignIn(error.message));
  } else if (current) {
    void showRoom(current);
  } else {
    showSignIn();
  }
})();
