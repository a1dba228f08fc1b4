// A custom consultation UI on the ConsultKit SDK alone (no elements): sign in with a demo user,
// join, render everyone's video from `session.state`, mute buttons, a minimal chat with an unread
// count, and (for the doctor) the waiting room with Admit buttons. The SDK owns the state; this file only draws each snapshot it hands to `subscribe()`.
import {
  ConsultError,
  createConsultClient,
  FINAL_CONNECTION_STATES,
  type ConsultSession,
  type Participant,
  type SessionState,
} from 'consult-kit';

/** What the token server's demo login (`POST /api/auth/login`) answers. */
interface LoginResponse {
  accessToken: string;
  user: { id: string; displayName: string; role: string };
}

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing`);
  return element;
}

const ui = {
  status: byId('status', HTMLParagraphElement),
  login: byId('login', HTMLFormElement),
  call: byId('call', HTMLElement),
  lobby: byId('lobby', HTMLElement),
  lobbyList: byId('lobby-list', HTMLUListElement),
  tiles: byId('tiles', HTMLElement),
  mic: byId('mic', HTMLButtonElement),
  camera: byId('camera', HTMLButtonElement),
  chatToggle: byId('chat-toggle', HTMLButtonElement),
  unread: byId('unread', HTMLSpanElement),
  leave: byId('leave', HTMLButtonElement),
  chat: byId('chat', HTMLElement),
  messages: byId('messages', HTMLOListElement),
  chatForm: byId('chat-form', HTMLFormElement),
};

let session: ConsultSession | undefined;

// The token server runs behind the same origin under /api (vite.config.ts proxies it in development;
// in production your portal routes /api to it).
async function login(username: string): Promise<LoginResponse> {
  const response = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Demo users only: the passwords are public (doctor/doctor123, patient/patient123).
    body: JSON.stringify({ username, password: `${username}123` }),
  });
  if (!response.ok) throw new Error(`Sign-in failed (${response.status})`);
  return (await response.json()) as LoginResponse;
}

ui.login.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(ui.login);
  void start(String(form.get('username')), String(form.get('consult')));
});

async function start(username: string, consultId: string): Promise<void> {
  ui.login.hidden = true;
  ui.status.textContent = 'Signing in…';
  try {
    const { accessToken, user } = await login(username);
    const client = createConsultClient({
      tokenUrl: '/api',
      // Called before every request, so a real portal can hand out a fresh token each time.
      auth: () => accessToken,
    });
    // `client.join(id)` creates and connects in one call; splitting it lets the page subscribe
    // first and draw the waiting room and connecting states too.
    const current = client.createSession(consultId, { displayName: user.displayName });
    session = current;
    current.subscribe(render);
    render(current.state);
    await current.connect();
  } catch (error) {
    const e = ConsultError.from(error);
    ui.status.textContent = `Could not join: ${e.message} (${e.code})`;
    ui.login.hidden = false;
  }
}

// ── rendering ───────────────────────────────────────────────────────────────────────────────────

const tiles = new Map<
  string,
  { figure: HTMLElement; video: HTMLVideoElement; caption: HTMLElement }
>();
let renderedMessages: SessionState['chat']['messages'] | undefined;
let renderedLobby: SessionState['lobby'] | undefined;

function render(state: SessionState): void {
  ui.status.textContent = statusText(state);
  const over = FINAL_CONNECTION_STATES.has(state.connection);
  ui.call.hidden = over || state.connection !== 'connected';
  if (over) {
    ui.login.hidden = false;
    renderTiles([]);
    renderedMessages = undefined;
    renderedLobby = undefined;
    return;
  }
  renderTiles(state.participants);
  renderLobby(state.lobby);

  const { audioEnabled, videoEnabled } = state.localMedia;
  ui.mic.textContent = audioEnabled ? 'Mute microphone' : 'Unmute microphone';
  ui.mic.setAttribute('aria-pressed', String(!audioEnabled));
  ui.camera.textContent = videoEnabled ? 'Turn camera off' : 'Turn camera on';
  ui.camera.setAttribute('aria-pressed', String(!videoEnabled));

  const { unread, messages } = state.chat;
  ui.unread.textContent = String(unread);
  ui.unread.hidden = unread === 0;
  ui.chatToggle.setAttribute('aria-label', unread ? `Chat, ${unread} unread` : 'Chat');
  // Messages count as read while the chat is open. Not from inside the listener: markRead()
  // publishes a new state itself.
  if (unread > 0 && !ui.chat.hidden) queueMicrotask(() => session?.markRead());
  if (messages !== renderedMessages) {
    renderedMessages = messages;
    ui.messages.replaceChildren(
      ...messages.map((m) => {
        const li = document.createElement('li');
        li.dataset['delivery'] = m.delivery;
        const who = document.createElement('strong');
        who.textContent = m.isLocal ? 'You' : m.senderName;
        li.append(who, `: ${m.text}`, m.delivery === 'sent' ? '' : ` (${m.delivery})`);
        return li;
      }),
    );
  }
}

function statusText(state: SessionState): string {
  switch (state.connection) {
    case 'idle':
    case 'fetching-token':
    case 'connecting':
      return 'Joining…';
    case 'waiting':
      return state.waitingPosition !== undefined
        ? `In the waiting room (position ${state.waitingPosition})`
        : 'In the waiting room';
    case 'connected':
      return `In the call with ${state.participants.length - 1} other(s)`;
    case 'reconnecting':
      return 'Connection lost, reconnecting…';
    case 'disconnected':
      return state.connectionReason === 'left' ? 'You left the call' : 'The call ended';
    case 'failed':
      return `The call failed: ${state.error?.message ?? state.connectionReason}`;
  }
}

/** Providers see who waits (state.lobby, kept current by the token server's event stream). */
function renderLobby(lobby: SessionState['lobby']): void {
  if (lobby === renderedLobby) return;
  renderedLobby = lobby;
  ui.lobby.hidden = lobby.length === 0;
  ui.lobbyList.replaceChildren(
    ...lobby.map((entry) => {
      const li = document.createElement('li');
      const admit = document.createElement('button');
      admit.type = 'button';
      admit.textContent = `Admit ${entry.displayName}`;
      admit.addEventListener('click', () => command((s) => s.admit(entry.userId)));
      li.append(`${entry.displayName} (${entry.role}) `, admit);
      return li;
    }),
  );
}

function renderTiles(participants: readonly Participant[]): void {
  const seen = new Set<string>();
  for (const p of participants) {
    seen.add(p.id);
    let tile = tiles.get(p.id);
    if (!tile) {
      const figure = document.createElement('figure');
      figure.className = 'tile';
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      // Never play your own microphone back to yourself.
      video.muted = p.isLocal;
      const caption = document.createElement('figcaption');
      figure.append(video, caption);
      ui.tiles.append(figure);
      tile = { figure, video, caption };
      tiles.set(p.id, tile);
    }
    const { figure, video, caption } = tile;
    figure.dataset['name'] = p.displayName;
    figure.dataset['audio'] = p.audioEnabled ? 'on' : 'off';
    figure.dataset['video'] = p.videoEnabled ? 'on' : 'off';
    figure.toggleAttribute('data-local', p.isLocal);
    const stream = p.stream ?? null;
    if (video.srcObject !== stream) video.srcObject = stream;
    const flags = [!p.audioEnabled && 'muted', !p.videoEnabled && 'camera off'].filter(Boolean);
    caption.textContent = `${p.displayName}${p.isLocal ? ' (you)' : ''}${flags.length ? ` · ${flags.join(', ')}` : ''}`;
  }
  for (const [id, tile] of tiles) {
    if (seen.has(id)) continue;
    tile.video.srcObject = null;
    tile.figure.remove();
    tiles.delete(id);
  }
}

// ── commands ────────────────────────────────────────────────────────────────────────────────────

/** Runs a session command; failures (e.g. a camera that cannot restart) go to the status line. */
function command(run: (s: ConsultSession) => Promise<unknown>): void {
  if (!session) return;
  run(session).catch((error: unknown) => {
    ui.status.textContent = ConsultError.from(error).message;
  });
}

ui.mic.addEventListener('click', () =>
  command((s) => s.setMicrophoneEnabled(!s.state.localMedia.audioEnabled)),
);
ui.camera.addEventListener('click', () =>
  command((s) => s.setCameraEnabled(!s.state.localMedia.videoEnabled)),
);
ui.leave.addEventListener('click', () => command((s) => s.leave()));

ui.chatToggle.addEventListener('click', () => {
  ui.chat.hidden = !ui.chat.hidden;
  ui.chatToggle.setAttribute('aria-expanded', String(!ui.chat.hidden));
  if (!ui.chat.hidden) session?.markRead();
});

ui.chatForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = ui.chatForm.elements.namedItem('text');
  if (!(input instanceof HTMLInputElement) || !input.value.trim()) return;
  const text = input.value;
  input.value = '';
  // The message shows at once as `sending`, then `sent` (or `failed`, with retryMessage()).
  command((s) => s.sendMessage(text));
});
