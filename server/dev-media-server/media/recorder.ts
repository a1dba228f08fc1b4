import type { MediaStreamTrack } from 'werift';
import type {
  ActiveRecording,
  RecordingRequest,
  RecordingResult,
  RecordingStreamMetadata,
} from './types.js';

export interface StreamTracks {
  generation: number;
  audio: MediaStreamTrack | undefined;
  video: MediaStreamTrack | undefined;
}

export interface RecordableStream {
  readonly streamId: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  tracks(): StreamTracks;
  requestKeyframe(): void;
}

export interface StreamRegistry {
  get(streamId: string): RecordableStream | undefined;
  onChange(listener: (streamId: string, change: 'published' | 'released') => void): () => void;
  recorderStarted(): void;
  recorderStopped(): void;
}

export interface Recording extends ActiveRecording {
  addStream(streamId: string, metadata?: RecordingStreamMetadata): void;
  stop(): Promise<RecordingResult>;
  abort(): Promise<void>;
}

type Logger = { debug(msg: string, data?: object): void; warn(msg: string, data?: object): void };

export function startRecording(
  _req: RecordingRequest,
  _registry: StreamRegistry,
  _logger: Logger,
): Promise<Recording> {
  return Promise.reject(new Error('not implemented'));
}
