/**
 * `tutorboard/client`: the tutor channel client and the protocol's types, and `whenSaved` for
 * whiteboard providers, for browsers (any bundler) and Node 22. Nothing reachable from here
 * imports Node or the server.
 */
export { TutorChannelClient } from './TutorChannelClient.ts';
export { clientCloseCodes, finalCloseCodes } from './closeCodes.ts';
export { SaveRefusedError, whenSaved } from './whenSaved.ts';
export type { SaveableProvider, SavedReceipt, WhenSavedOptions } from './whenSaved.ts';
export type { SaveReply, SaveRequest } from '../whiteboard/saveProtocol.ts';
export type {
  ClientState,
  CloseEventInfo,
  FetchLike,
  NetworkEvents,
  ReconnectOptions,
  RefusalInfo,
  TutorChannelClientEvents,
  TutorChannelClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './TutorChannelClientOptions.ts';
export { isControlMessage, isReservedType, maxNestingDepth, maxTypeLength, reservedTypePrefixes, serverMessageTypes } from '../tutor/protocol.ts';
export type {
  ControlMessage,
  ErrorCode,
  ErrorMessage,
  IncomingMessage,
  OutgoingMessage,
  Peer,
  PongMessage,
  PresenceMessage,
  Role,
  RoomMessage,
  Sender,
  ServerMessageType,
  WelcomeMessage,
} from '../tutor/protocol.ts';
