/**
 * TEMPORARY stand-in for `FakeSession` from `src/testing/` until it lands. Delete then.
 * @packageDocumentation
 */
import type {
  ChatMessage,
  ConsultSessionLike,
  DeviceInfo,
  Participant,
  SessionEventMap,
  SessionState,
  Unsubscribe,
} from '../../src/types.js';
import type { ConsultError } from '../../src/errors.js';

type Listener = (detail: never) => void;

export class StubSession implements ConsultSessionLike {
  state: SessionState;
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  private readonly stateListeners = new Set<(s: SessionState) => void>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private seq = 0;
  sendShouldFail = false;

  constructor(init: Partial<SessionState> = {}) {
    this.state = {
      consultId: 'c-1',
      connection: 'idle',
      connectionReason: 'initial',
      participants: [],
      localMedia: {
        audioEnabled: true,
        videoEnabled: true,
        screenSharing: false,
        audioOnly: false,
        audioOnlySuggested: false,
        canScreenShare: true,
        canSelectAudioOutput: true,
      },
      devices: [],
      chat: { messages: [], unread: 0, historyLoaded: true },
      recording: {
        status: 'idle',
        consent: { requested: false, entries: [] },
        consentPending: false,
        downloadable: false,
      },
      lobby: [],
      ...init,
    };
  }

  subscribe(listener: (state: SessionState) => void): Unsubscribe {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  on<K extends keyof SessionEventMap>(
    event: K,
    listener: (detail: SessionEventMap[K]) => void,
  ): Unsubscribe {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    set.add(listener as Listener);
    this.listeners.set(event, set);
    return () => set.delete(listener as Listener);
  }

  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (d: SessionEventMap[K]) => void)(detail);
  }

  setState(patch: Partial<SessionState>): void {
    const previous = this.state;
    this.state = { ...previous, ...patch };
    for (const l of this.stateListeners) l(this.state);
    this.emit('stateChanged', { state: this.state, previous });
    if (previous.connection !== this.state.connection) {
      this.emit('connectionChanged', {
        connection: this.state.connection,
        previous: previous.connection,
        reason: this.state.connectionReason,
      });
    }
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  called(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  // simulate*
  simulateConnection(
    connection: SessionState['connection'],
    reason: SessionState['connectionReason'] = 'initial',
  ): void {
    this.setState({ connection, connectionReason: reason });
  }

  simulateParticipantJoined(
    p: Partial<Participant> & { id: string; displayName: string },
  ): Participant {
    const participant: Participant = {
      role: 'patient',
      isLocal: false,
      audioEnabled: true,
      videoEnabled: true,
      screenSharing: false,
      speaking: false,
      quality: { level: 'good' },
      joinedAt: Date.now(),
      ...p,
    };
    this.setState({ participants: [...this.state.participants, participant] });
    this.emit('participantJoined', { participant });
    return participant;
  }

  simulateMessage(m: Partial<ChatMessage> & { text: string }): ChatMessage {
    const message: ChatMessage = {
      id: `m${++this.seq}`,
      senderId: 'remote',
      senderName: 'Dr. Remote',
      senderRole: 'provider',
      isLocal: false,
      timestamp: Date.now(),
      delivery: 'sent',
      ...m,
    };
    const unread = message.isLocal ? this.state.chat.unread : this.state.chat.unread + 1;
    this.setState({
      chat: { ...this.state.chat, messages: [...this.state.chat.messages, message], unread },
    });
    if (!message.isLocal) this.emit('messageReceived', { message });
    if (unread !== this.state.chat.unread) this.emit('unreadChanged', { unread });
    return message;
  }

  simulateError(error: ConsultError): void {
    this.setState({ error });
    this.emit('error', { error });
  }

  // ConsultSessionLike
  async startPreview(): Promise<MediaStream | undefined> {
    this.record('startPreview');
    return undefined;
  }
  async connect(): Promise<void> {
    this.record('connect');
  }
  async leave(): Promise<void> {
    this.record('leave');
    this.setState({ connection: 'disconnected', connectionReason: 'left' });
  }
  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    this.record('setMicrophoneEnabled', enabled);
    this.setState({ localMedia: { ...this.state.localMedia, audioEnabled: enabled } });
  }
  async setCameraEnabled(enabled: boolean): Promise<void> {
    this.record('setCameraEnabled', enabled);
    this.setState({ localMedia: { ...this.state.localMedia, videoEnabled: enabled } });
  }
  async selectDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    this.record('selectDevice', kind, deviceId);
  }
  async selectAudioOutput(deviceId: string): Promise<void> {
    this.record('selectAudioOutput', deviceId);
  }
  async refreshDevices(): Promise<readonly DeviceInfo[]> {
    this.record('refreshDevices');
    return this.state.devices;
  }
  async startScreenShare(): Promise<void> {
    this.record('startScreenShare');
  }
  async stopScreenShare(): Promise<void> {
    this.record('stopScreenShare');
  }
  async setAudioOnly(audioOnly: boolean): Promise<void> {
    this.record('setAudioOnly', audioOnly);
  }
  async sendMessage(text: string): Promise<ChatMessage> {
    this.record('sendMessage', text);
    return this.simulateMessage({
      text,
      isLocal: true,
      senderId: 'me',
      senderName: 'Me',
      senderRole: 'patient',
      delivery: this.sendShouldFail ? 'failed' : 'sent',
    });
  }
  async retryMessage(messageId: string): Promise<ChatMessage> {
    this.record('retryMessage', messageId);
    const messages = this.state.chat.messages.map((m) =>
      m.id === messageId ? { ...m, delivery: 'sent' as const } : m,
    );
    this.setState({ chat: { ...this.state.chat, messages } });
    return messages.find((m) => m.id === messageId)!;
  }
  markRead(): void {
    this.record('markRead');
    if (this.state.chat.unread === 0) return;
    this.setState({ chat: { ...this.state.chat, unread: 0 } });
    this.emit('unreadChanged', { unread: 0 });
  }
  async startRecording(): Promise<void> {
    this.record('startRecording');
  }
  async stopRecording(): Promise<void> {
    this.record('stopRecording');
  }
  async setRecordingConsent(granted: boolean): Promise<void> {
    this.record('setRecordingConsent', granted);
  }
  async downloadRecording(): Promise<{ url: string; fileName: string }> {
    this.record('downloadRecording');
    return { url: 'blob:x', fileName: 'r.webm' };
  }
  async admit(userId: string): Promise<void> {
    this.record('admit', userId);
  }
  async deny(userId: string, reason?: string): Promise<void> {
    this.record('deny', userId, reason);
  }
}
