// JSX types for <consult-room> in React 19. React 19 sets a prop as a property when the element
// has one (`consultId`, `auth`, …) and adds `on<event-name>` props as listeners of exactly that
// event name, so `onconsult-leave` listens to `consult-leave`.
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { AuthProvider } from 'consult-kit';
import type {
  ConsultDeviceCheckEvent,
  ConsultErrorEvent,
  ConsultJoinEvent,
  ConsultLeaveEvent,
  ConsultParticipantJoinEvent,
  ConsultParticipantLeaveEvent,
  ConsultRequestLeaveEvent,
  ConsultRoom,
  ConsultRoomLayout,
} from 'consult-kit/components';

interface ConsultRoomProps extends DetailedHTMLProps<HTMLAttributes<ConsultRoom>, ConsultRoom> {
  consultId?: string;
  tokenUrl?: string;
  auth?: AuthProvider;
  displayName?: string;
  layout?: ConsultRoomLayout;
  audioOnly?: boolean;
  noChat?: boolean;
  noRecording?: boolean;
  noScreenShare?: boolean;
  'onconsult-device-check'?: (event: ConsultDeviceCheckEvent) => void;
  'onconsult-join'?: (event: ConsultJoinEvent) => void;
  'onconsult-leave'?: (event: ConsultLeaveEvent) => void;
  'onconsult-participant-join'?: (event: ConsultParticipantJoinEvent) => void;
  'onconsult-participant-leave'?: (event: ConsultParticipantLeaveEvent) => void;
  'onconsult-request-leave'?: (event: ConsultRequestLeaveEvent) => void;
  'onconsult-error'?: (event: ConsultErrorEvent) => void;
}

declare module 'react' {
  // React's JSX types live in a namespace; augmenting it is how custom elements get typed.
  namespace JSX {
    interface IntrinsicElements {
      'consult-room': ConsultRoomProps;
    }
  }
}
