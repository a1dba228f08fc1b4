// <consult-room> in React 19, with no wrapper: React 19 passes props to custom elements as
// properties (so `auth` can be a function) and `on<event-name>` props become listeners of that
// exact DOM event (`onconsult-leave` → `consult-leave`). Types: consult-room-jsx.d.ts.
import { useRef, useState, type FormEvent } from 'react';
import type {
  ConsultDeviceCheckEvent,
  ConsultLeaveEvent,
  ConsultLeaveEventDetail,
  ConsultParticipantJoinEvent,
  ConsultParticipantLeaveEvent,
  ConsultRequestLeaveEvent,
  ConsultRoom,
} from 'consult-kit/components';

/** What the token server's demo login (`POST /api/auth/login`) answers. */
interface LoginResponse {
  accessToken: string;
  user: { id: string; displayName: string; role: string };
}

type Phase = 'pre-join' | 'in-call' | 'confirm-leave' | 'ended';

export function App() {
  const [login, setLogin] = useState<LoginResponse>();
  const [consultId, setConsultId] = useState('consult-42');
  const [audioOnly, setAudioOnly] = useState(false);
  const [signInError, setSignInError] = useState<string>();
  const [phase, setPhase] = useState<Phase>('pre-join');
  const [devices, setDevices] = useState<string>();
  const [others, setOthers] = useState<readonly string[]>([]);
  const [ended, setEnded] = useState<ConsultLeaveEventDetail>();
  // A new key mounts a fresh <consult-room> (a new session) for "Join again".
  const [attempt, setAttempt] = useState(1);
  const room = useRef<ConsultRoom>(null);

  async function signIn(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const username = String(new FormData(event.currentTarget).get('username'));
    setSignInError(undefined);
    // Demo users only: the passwords are public (doctor/doctor123, patient/patient123).
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: `${username}123` }),
    });
    if (!response.ok) {
      setSignInError(`Sign-in failed (${response.status})`);
      return;
    }
    setLogin((await response.json()) as LoginResponse);
  }

  function joinAgain(): void {
    setEnded(undefined);
    setOthers([]);
    setPhase('pre-join');
    setAttempt((n) => n + 1);
  }

  if (!login) {
    return (
      <form onSubmit={(e) => void signIn(e)}>
        <label>
          Demo user
          <select name="username" defaultValue="doctor">
            <option value="doctor">Doctor</option>
            <option value="patient">Patient</option>
          </select>
        </label>
        <label>
          Consultation
          <input value={consultId} onChange={(e) => setConsultId(e.target.value)} required />
        </label>
        <label>
          <input
            type="checkbox"
            checked={audioOnly}
            onChange={(e) => setAudioOnly(e.target.checked)}
          />
          Audio only
        </label>
        <button type="submit">Sign in</button>
        {signInError && <p role="alert">{signInError}</p>}
      </form>
    );
  }

  return (
    <main>
      <p role="status" data-phase={phase}>
        {phase === 'pre-join' && `Signed in as ${login.user.displayName}. ${devices ?? ''}`}
        {(phase === 'in-call' || phase === 'confirm-leave') &&
          `In the call${others.length ? ` with ${others.join(', ')}` : ', waiting for the others'}`}
        {phase === 'ended' &&
          ended &&
          `Call ended (${ended.reason})` +
            (ended.duration !== undefined ? ` after ${ended.duration} s` : '')}
      </p>

      {phase === 'confirm-leave' && (
        <div className="bar" role="alertdialog" aria-label="End the consultation?">
          End the consultation?
          <button type="button" onClick={() => void room.current?.leave()}>
            End consultation
          </button>
          <button type="button" onClick={() => setPhase('in-call')}>
            Stay
          </button>
        </div>
      )}

      {phase === 'ended' ? (
        <button type="button" onClick={joinAgain}>
          Join again
        </button>
      ) : (
        <consult-room
          key={attempt}
          ref={room}
          consultId={consultId}
          tokenUrl="/api"
          // Called before every token-server request: a real portal returns a fresh token here.
          auth={() => login.accessToken}
          displayName={login.user.displayName}
          audioOnly={audioOnly}
          onconsult-device-check={(e: ConsultDeviceCheckEvent) =>
            setDevices(`Camera: ${e.detail.camera}, microphone: ${e.detail.microphone}.`)
          }
          onconsult-join={() => setPhase('in-call')}
          onconsult-participant-join={(e: ConsultParticipantJoinEvent) =>
            setOthers((list) => [...list, e.detail.participant.displayName])
          }
          onconsult-participant-leave={(e: ConsultParticipantLeaveEvent) =>
            setOthers((list) => list.filter((name) => name !== e.detail.participant.displayName))
          }
          // The room's Leave button asks first; here React asks instead of the built-in dialog.
          onconsult-request-leave={(e: ConsultRequestLeaveEvent) => {
            e.preventDefault();
            setPhase('confirm-leave');
          }}
          onconsult-leave={(e: ConsultLeaveEvent) => {
            setEnded(e.detail);
            setPhase('ended');
          }}
        />
      )}
    </main>
  );
}
