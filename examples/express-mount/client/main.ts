// The portal's page: lists the appointments from the portal's own route (/appointments), signs in
// with a demo user at the mounted token server (/api/auth/login) and joins with the SDK, which gets
// its OpenVidu token from the same origin (/api/consults/{id}/token).
import { ConsultError, createConsultClient, type ConsultSession } from 'consult-kit';

interface Appointment {
  consultId: string;
  patient: string;
  provider: string;
  startsAt: string;
}

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`${selector} is missing`);
  return found;
}
const list = element<HTMLUListElement>('#appointments');
const userSelect = element<HTMLSelectElement>('#user');
const status = element<HTMLParagraphElement>('#status');
const videos = element<HTMLDivElement>('#videos');

let session: ConsultSession | undefined;

async function join(consultId: string, username: string): Promise<void> {
  await session?.leave();
  status.textContent = 'Joining…';
  const login = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Demo users only: the passwords are public (doctor/doctor123, patient/patient123).
    body: JSON.stringify({ username, password: `${username}123` }),
  });
  if (!login.ok) throw new Error(`Sign-in failed (${login.status})`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const client = createConsultClient({ tokenUrl: '/api', auth: () => accessToken });
  session = await client.join(consultId);
  session.subscribe((state) => {
    status.textContent = `${state.connection}: ${state.participants.length} in the call`;
    // One <video> per participant with media, in state order (yourself first, muted).
    const wanted = state.participants.filter((p) => p.stream);
    videos.replaceChildren(
      ...wanted.map((p) => {
        const existing = videos.querySelector<HTMLVideoElement>(`video[data-id="${p.id}"]`);
        const video = existing ?? document.createElement('video');
        video.dataset['id'] = p.id;
        video.dataset['name'] = p.displayName;
        video.autoplay = true;
        video.playsInline = true;
        video.muted = p.isLocal;
        if (video.srcObject !== p.stream) video.srcObject = p.stream ?? null;
        return video;
      }),
    );
  });
  status.textContent = `connected: ${session.state.participants.length} in the call`;
}

const appointments = (await (await fetch('/appointments')).json()) as Appointment[];
list.replaceChildren(
  ...appointments.map((a) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset['consultId'] = a.consultId;
    button.textContent = `Join ${a.consultId}`;
    button.addEventListener('click', () => {
      join(a.consultId, userSelect.value).catch((error: unknown) => {
        status.textContent = `Could not join: ${ConsultError.from(error).message}`;
      });
    });
    li.append(`${a.provider} with ${a.patient}, ${new Date(a.startsAt).toLocaleString()} `, button);
    return li;
  }),
);
