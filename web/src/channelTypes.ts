/**
 * The tutor channel's message types as the page uses them. Derived from the client's event map
 * because today's `tutorboard/client` entry exports the client only; once the package entry
 * re-exports the protocol types, these become plain re-exports.
 */
import type { TutorChannelClient, TutorChannelClientEvents } from 'tutorboard/client';

export type RoomMessage = TutorChannelClientEvents['message'][0];
export type WelcomeMessage = TutorChannelClientEvents['welcome'][0];
export type PresenceMessage = TutorChannelClientEvents['presence'][0];
export type ErrorMessage = TutorChannelClientEvents['error'][0];
export type Peer = TutorChannelClient['peers'][number];
